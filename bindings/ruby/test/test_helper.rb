# frozen_string_literal: true

# The bert gem (the interop tests' reference) still names Fixnum and Bignum.
Warning[:deprecated] = false

require "minitest/autorun"
require "dripdrop"
require "timeout"
require "rbconfig"
require_relative "support/cross_language"

# Helpers shared by the gem's tests.
module DripDropTest
  # Seconds any one loop may run before the test fails (a missing message, not slowness).
  LIMIT = 20

  # Runs the node's loop on this thread, failing the test if it does not stop in time.
  def run_node(node, limit: LIMIT)
    Timeout.timeout(limit) { node.start! }
  rescue Timeout::Error
    flunk "the node did not stop within #{limit} s"
  end

  # A unique inproc address (tests run in parallel).
  def inproc(label)
    "inproc://#{label}-#{Process.pid}-#{rand(1 << 40)}"
  end

  # A Ruby process running +script+ with the same gem this one loaded, whatever its RUBYLIB;
  # its stdout is readable line by line. The caller reaps it with +finish+.
  def ruby_process(script, *args)
    IO.popen([*CrossLanguage.ruby, "-e", script, *args], err: [:child, :out])
  end

  # Reads the next line of +io+, failing the test if none comes in time.
  def next_line(io, limit: LIMIT)
    line = Timeout.timeout(limit) { io.gets }
    flunk "the process ended without the expected output" if line.nil?
    line.chomp
  rescue Timeout::Error
    flunk "no output from the process within #{limit} s"
  end

  # Kills (if still running) and reaps a child started with +ruby_process+.
  def finish(io, signal = "KILL")
    Process.kill(signal, io.pid)
  rescue Errno::ESRCH
    nil
  ensure
    io.close
  end
end
