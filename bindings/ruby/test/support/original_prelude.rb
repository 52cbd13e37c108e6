# frozen_string_literal: true

# Loaded (ruby -r) before an original program that original_programs_test.rb runs: output
# unbuffered, so the test reads each line as it is printed, and one line once a node's loop
# runs after its set-up, "__started__" and the node's route names, for programs that print
# nothing of their own.
$stdout.sync = true
require "dripdrop"

module OriginalProgramStarted
  def start!
    announce_start
    super
  end

  def start
    announce_start
    super
  end

  private

  def announce_start
    next_tick { puts "__started__ #{routing.keys.sort.join(' ')}".rstrip }
  end
end
DripDrop::Node.prepend(OriginalProgramStarted)
