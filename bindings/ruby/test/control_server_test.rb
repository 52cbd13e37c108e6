# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"
require "fileutils"
require "net/http"
require "tmpdir"

# Ruby processes watched by a real `dripdrop control`, configured by their environment alone:
# exact counters in the API, `stuck` while a callback blocks and `up` after, `gone` (no
# alert) after a clean stop, and `unreachable` or `down` within 4 s of a SIGKILL.
class ControlServerTest < Minitest::Test
  include CrossLanguage

  CHILD = File.join(__dir__, "programs", "control_child.rb")
  COUNT = 10_000
  PATIENCE = 20

  def setup
    @control = spawn_child("dripdrop control", CrossLanguage.dripdrop, "control",
                           "--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0")
    @listen = @control.wait_for_line("listen ")
    @http = @control.wait_for_line("http ")
    @dir = Dir.mktmpdir("dripdrop-control")
  end

  def teardown
    kill_all
    FileUtils.rm_rf(@dir)
  end

  def get(path)
    JSON.parse(Net::HTTP.get(URI("#{@http}#{path}")))
  end

  def process(pid)
    get("/api/processes")["processes"].find { |p| p["pid"] == pid }
  end

  def events(pid)
    get("/api/events")["events"].select { |e| e["id"].split(":")[1] == pid.to_s }
  end

  # Polls the API until the block holds for process +pid+; the seconds it took.
  def wait_for(pid, what)
    start = monotonic
    loop do
      found = process(pid)
      return monotonic - start if found && yield(found)

      flunk "#{what}: #{found.inspect}" if monotonic - start > PATIENCE
      sleep 0.05
    end
  end

  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  def start_ruby_child(role)
    env = { "DRIPDROP_CONTROL" => @listen, "DRIPDROP_ROLE" => role }
    child = spawn_child("ruby #{role}", env, *CrossLanguage.ruby, CHILD, @dir, COUNT.to_s, "10")
    child.wait_for_line("sent #{COUNT}")
    child
  end

  def test_a_ruby_process_is_counted_exactly_stuck_then_up_then_gone
    child = start_ruby_child("rb-watched")
    wait_for(child.pid, "msgs_out counted exactly") do |p|
      p["routes"].any? { |r| r["name"] == "out" && r["msgs_out"] == COUNT }
    end
    found = process(child.pid)
    assert_equal %w[ruby rb-watched up], found.values_at("language", "role", "state")

    FileUtils.touch(File.join(@dir, "stick"))
    child.wait_for_line("stuck")
    took = wait_for(child.pid, "stuck while the callback blocks") { |p| p["state"] == "stuck" }
    assert_operator took, :<, 4.0
    child.wait_for_line("unstuck")
    wait_for(child.pid, "up once the callback returned") { |p| p["state"] == "up" }

    FileUtils.touch(File.join(@dir, "stop"))
    child.wait_for_line("stopped")
    wait_for(child.pid, "gone after a clean stop") { |p| p["state"] == "gone" }
    went = events(child.pid).map { |e| [e["to"], e["alert"]] }
    assert_equal [["up", false], ["stuck", true], ["up", false], ["gone", false]], went
  end

  def test_a_killed_ruby_process_is_unreachable_or_down_within_4_s
    child = start_ruby_child("rb-killed")
    wait_for(child.pid, "up") { |p| p["state"] == "up" }
    Process.kill("KILL", child.pid)
    took = wait_for(child.pid, "unreachable or down after SIGKILL") do |p|
      %w[unreachable down].include?(p["state"])
    end
    assert_operator took, :<, 4.0
  end
end
