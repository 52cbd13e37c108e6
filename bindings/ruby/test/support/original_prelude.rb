# frozen_string_literal: true

# Loaded (ruby -r) before an original program that original_programs_test.rb runs: output
# unbuffered, so the test reads each line as it is printed, and one line once a node's loop
# runs after its set-up, "__started__" and the node's route names, for programs that print
# nothing of their own; before it, "__endpoint__ <route> <address>" for each web server route
# (bound to a port the system picked, which its clients need).
$stdout.sync = true
require "dripdrop"

module OriginalProgramStarted
  WEB_SERVERS = %w[websocket websocket_server http_server].freeze

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
    next_tick do
      routing.sort.each do |name, route|
        puts "__endpoint__ #{name} #{route.address}" if WEB_SERVERS.include?(route.kind)
      end
      puts "__started__ #{routing.keys.sort.join(' ')}".rstrip
    end
  end
end
DripDrop::Node.prepend(OriginalProgramStarted)
