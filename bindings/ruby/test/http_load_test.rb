# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"
require CrossLanguage::HTTP_LOAD_RB # HttpLoad, the example's code (it runs nothing when required)

# http_load across languages (examples/ruby/http_load.rb): a Ruby control served by Rust,
# Python and Ruby workers at once; Rust and Python controls served by a Ruby worker; a refused
# target counted as refused errors. Every address is picked by the OS.
class HttpLoadTest < Minitest::Test
  include CrossLanguage

  def teardown
    kill_all
  end

  # The Rust target (`http_load target`); its URL.
  def start_target
    target = spawn_child("http_load target", CrossLanguage.http_load, "target", "--listen", "127.0.0.1:0")
    target.wait_for_line("target listening on ")
  end

  def ruby_control(url, requests, *extra)
    control = spawn_child("ruby control", *CrossLanguage.ruby, HTTP_LOAD_RB, "control", "--url", url,
                          "--requests", requests.to_s, "--bind", "tcp://127.0.0.1:*", "--json", *extra)
    [control, control.wait_for_line("control listening on ")]
  end

  def ruby_worker(endpoint, name, *extra)
    worker = spawn_child("ruby worker #{name}", *CrossLanguage.ruby, HTTP_LOAD_RB, "worker",
                         "--connect", endpoint, "--name", name, *extra)
    worker.wait_for_line("worker #{name} serving ")
    worker
  end

  # The control's JSON report, once it exited 0.
  def report(control)
    status, lines = control.finish
    assert status.success?, control.failure("exited with #{status.inspect}").message
    json_line(lines, control.label)
  end

  def test_a_ruby_control_uses_rust_python_and_ruby_workers_at_once
    url = start_target
    control, endpoint = ruby_control(url, 4000, "--batch", "200", "--workers", "3")
    spawn_child("rust worker", CrossLanguage.http_load, "worker", "--connect", endpoint, "--name", "rust")
      .wait_for_line("worker rust serving ")
    spawn_child("python worker", CrossLanguage.python, HTTP_LOAD_PY, "worker", "--connect", endpoint,
                "--name", "python").wait_for_line("worker python serving ")
    ruby_worker(endpoint, "ruby")

    report = report(control)
    assert_equal 4000, report["requests"]
    assert_equal({ "200" => 4000 }, report["status_codes"])
    assert_equal({}, report["errors"])
    assert_equal [], report["failed_batches"]
    assert_equal %w[python ruby rust], report["per_worker"].keys.sort
    assert_equal 4000, report["per_worker"].values.sum
    assert_operator report["latency_ms"]["p99"], :>, 0
    assert_operator report["latency_ms"]["max"], :>=, report["latency_ms"]["p50"]
    assert_equal %w[p50 p90 p99 p99.9 max], report["latency_ms"].keys
  end

  def test_a_rust_control_uses_a_ruby_worker
    url = start_target
    control = spawn_child("rust control", CrossLanguage.http_load, "control", "--url", url,
                          "--requests", "3000", "--batch", "250", "--connections", "3",
                          "--bind", "tcp://127.0.0.1:*", "--json")
    endpoint = control.wait_for_line("control listening on ")
    ruby_worker(endpoint, "ruby")

    report = report(control)
    assert_equal 3000, report["requests"]
    assert_equal({ "200" => 3000 }, report["status_codes"])
    assert_equal({ "ruby" => 3000 }, report["per_worker"])
    assert_equal [], report["failed_batches"]
    assert_operator report["latency_ms"]["p99"], :>, 0
  end

  def test_a_python_control_uses_a_ruby_worker
    url = start_target
    control = spawn_child("python control", CrossLanguage.python, HTTP_LOAD_PY, "control", "--url", url,
                          "--requests", "2000", "--batch", "250", "--bind", "tcp://127.0.0.1:*", "--json")
    endpoint = control.wait_for_line("control listening on ")
    ruby_worker(endpoint, "ruby", "--concurrency", "2")

    report = report(control)
    assert_equal 2000, report["requests"]
    assert_equal({ "200" => 2000 }, report["status_codes"])
    assert_equal({ "ruby" => 2000 }, report["per_worker"])
  end

  def test_a_refusing_target_shows_up_as_refused_errors
    url = "http://127.0.0.1:#{closed_port}/"
    control, endpoint = ruby_control(url, 300, "--batch", "100", "--workers", "2")
    ruby_worker(endpoint, "ruby")
    spawn_child("rust worker", CrossLanguage.http_load, "worker", "--connect", endpoint, "--name", "rust")
      .wait_for_line("worker rust serving ")

    report = report(control)
    assert_equal 300, report["requests"]
    assert_equal({}, report["status_codes"])
    assert_equal({ "refused" => 300 }, report["errors"])
    assert_equal 300, report["per_worker"].values.sum
    assert_equal [], report["failed_batches"]
  end

  def test_the_ruby_control_prints_a_text_report_by_default
    url = start_target
    control = spawn_child("ruby control", *CrossLanguage.ruby, HTTP_LOAD_RB, "control", "--url", url,
                          "--requests", "500", "--batch", "100", "--bind", "tcp://127.0.0.1:*")
    endpoint = control.wait_for_line("control listening on ")
    ruby_worker(endpoint, "ruby")
    status, lines = control.finish
    assert status.success?, control.failure("exited with #{status.inspect}").message
    text = lines.join("\n")
    assert_match(/^requests: 500 in [\d.]+ s, \d+ req\/s$/, text)
    assert_match(/^latency ms: p50 [\d.]+, p90 [\d.]+, p99 [\d.]+, p99\.9 [\d.]+, max [\d.]+$/, text)
    assert_includes lines, "status codes: 200: 500"
    assert_includes lines, "errors: none"
    assert_includes lines, "per worker: ruby: 500"
  end

  def test_bad_arguments_are_refused_with_usage
    [["control", "--requests", "5"], ["worker"], ["control", "--url", "https://x/", "--requests", "1"], ["fly"]]
      .each do |args|
      out, status = Open3.capture2e(*CrossLanguage.ruby, HTTP_LOAD_RB, *args)
      assert_equal 2, status.exitstatus, "#{args.inspect}: #{out}"
      assert_match(/^http_load\.rb: .+\nusage: /, out, args.inspect)
    end
  end

  # The worker's batch runner on its own, against small servers made here.
  module Batches
    module_function

    def plan(port, requests:, connections:, timeout_ms: 5000)
      { "url" => "http://127.0.0.1:#{port}/path?q=1", "requests" => requests, "connections" => connections,
        "timeout_ms" => timeout_ms, "rate" => nil, "start_in_us" => 0 }
    end

    # A server running +handler+ on each connection, on its own thread; counts connections.
    def serve(handler)
      server = TCPServer.new("127.0.0.1", 0)
      accepted = Queue.new
      thread = Thread.new do
        loop do
          client = server.accept
          accepted << client
          Thread.new { handler.call(client) }
        end
      rescue IOError, Errno::EBADF
        nil
      end
      yield server.addr[1], accepted
    ensure
      server&.close
      thread&.join(2)
      accepted&.size&.times { accepted.pop.close }
    end

    # Reads one request's head; nil at end of stream.
    def read_request(client)
      head = client.gets("\r\n\r\n")
      head&.end_with?("\r\n\r\n") ? head : nil
    end
  end

  def test_a_batch_keeps_one_connection_per_slot_alive
    paths = Queue.new
    answer = lambda do |client|
      while (head = Batches.read_request(client))
        paths << head.lines.first.split[1]
        client.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
      end
    rescue IOError, SystemCallError
      nil
    end
    Batches.serve(answer) do |port, accepted|
      statuses, errors, latency = HttpLoad.run_batch(Batches.plan(port, requests: 30, connections: 3))
      assert_equal({ 200 => 30 }, statuses)
      assert_equal({}, errors)
      assert_equal 30, latency.values.sum
      assert_equal 3, accepted.size, "one keep-alive connection per slot"
      assert_equal ["/path?q=1"], Array.new(paths.size) { paths.pop }.uniq
    end
  end

  def test_a_batch_reconnects_after_connection_close
    answer = lambda do |client|
      Batches.read_request(client)
      client.write("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
      client.close
    end
    Batches.serve(answer) do |port, accepted|
      statuses, errors, = HttpLoad.run_batch(Batches.plan(port, requests: 6, connections: 2))
      assert_equal({ 204 => 6 }, statuses)
      assert_equal({}, errors)
      assert_equal 6, accepted.size
    end
  end

  def test_a_batch_counts_timeouts_resets_and_refusals_by_kind
    silent = ->(client) { Batches.read_request(client) } # and never answers
    Batches.serve(silent) do |port, _|
      statuses, errors, = HttpLoad.run_batch(Batches.plan(port, requests: 4, connections: 2, timeout_ms: 150))
      assert_equal({}, statuses)
      assert_equal({ "timeout" => 4 }, errors)
    end
    hang_up = lambda do |client|
      Batches.read_request(client)
      client.close
    end
    Batches.serve(hang_up) do |port, _|
      _, errors, = HttpLoad.run_batch(Batches.plan(port, requests: 4, connections: 2))
      assert_equal({ "reset" => 4 }, errors)
    end
    _, errors, = HttpLoad.run_batch(Batches.plan(closed_port, requests: 3, connections: 5))
    assert_equal({ "refused" => 3 }, errors)
  end
end
