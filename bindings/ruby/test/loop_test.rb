# frozen_string_literal: true

require_relative "test_helper"
require "open3"

class LoopTest < Minitest::Test
  include DripDropTest

  def test_timers_fire_and_cancel
    fired = Hash.new(0)
    node = DripDrop::Node.new do
      ticker = every(0.01) do
        fired[:every] += 1
        ticker.cancel if fired[:every] == 3
      end
      cancelled = after(0.02) { fired[:cancelled] += 1 }
      fired[:cancel_result] = cancelled.cancel
      after(0.01) { fired[:after] += 1 }
      next_tick { fired[:next_tick] += 1 }
      after(0.1) { stop }
    end
    run_node(node)
    assert_equal({ every: 3, after: 1, next_tick: 1, cancel_result: true }, fired)
  end

  def test_defer_runs_off_the_loop_and_calls_back_on_it
    seen = {}
    errors = []
    node = DripDrop::Node.new do
      done = -> { stop if seen[:errback] && !errors.empty? }
      on_error do |e|
        errors << e
        done.call
      end
      loop_thread = nil
      next_tick { loop_thread = Thread.current }
      op = lambda do
        seen[:op_thread] = Thread.current
        6 * 7
      end
      callback = lambda do |result|
        seen[:result] = result
        seen[:callback_on_loop] = Thread.current == loop_thread
        seen[:loop_thread] = loop_thread
        # Without an errback, the op's exception goes to on_error.
        defer { raise ArgumentError, "bad op" }
        defer(-> { raise KeyError, "missing" }, nil, lambda { |e|
          seen[:errback] = e
          done.call
        })
      end
      defer(op, callback)
    end
    run_node(node)
    assert_equal 42, seen[:result]
    assert seen[:callback_on_loop]
    refute_equal seen[:loop_thread], seen[:op_thread]
    assert_kind_of KeyError, seen[:errback]
    assert_equal [ArgumentError], errors.map(&:class)
  ensure
    node&.close
  end

  # A thread stuck in an operation does not hold back one deferred later: the pool wakes
  # another (it wakes threads sparingly, but never leaves an operation without one).
  def test_a_blocked_defer_thread_does_not_hold_back_a_later_operation
    lock = Mutex.new
    handed = ConditionVariable.new
    value = got = nil
    first = lambda do
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + LIMIT
      lock.synchronize do
        while value.nil? && (left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)).positive?
          handed.wait(lock, left)
        end
        value
      end
    end
    second = lambda do
      lock.synchronize do
        value = :from_second
        handed.signal
      end
    end
    node = DripDrop::Node.new do
      defer(first, lambda { |r|
        got = r
        stop
      })
      next_tick { defer(second) }
    end
    run_node(node)
    assert_equal :from_second, got
  ensure
    node&.close
  end

  # Many operations, a window of them in flight, each callback deferring the next: every
  # result comes back (none waits on a thread that went to sleep without telling the loop).
  def test_defer_windows_of_operations_all_come_back
    [1, 50].each { |window| assert_defer_window(window) }
  end

  def assert_defer_window(window)
    total = 2_000
    issued = done = sum = 0
    node = DripDrop::Node.new(defer_threads: 4) do
      issue = lambda do
        i = issued
        issued += 1
        defer(-> { i }, lambda { |r|
          sum += r
          done += 1
          issue.call if issued < total
          stop if done == total
        })
      end
      window.times { issue.call }
    end
    run_node(node)
    assert_equal total, done, "window #{window}"
    assert_equal (0...total).sum, sum
  ensure
    node&.close
  end

  def test_a_raising_defer_callback_does_not_hold_back_the_others
    called = []
    errors = []
    node = DripDrop::Node.new do
      on_error do |e|
        errors << e
        stop if called.size == 20
      end
      20.times do |i|
        defer(-> { i }, lambda { |n|
          called << n
          raise IndexError, "callback #{n}" if n == 7

          stop if called.size == 20 && !errors.empty?
        })
      end
    end
    run_node(node)
    assert_equal (0...20).to_a, called.sort
    assert_equal ["callback 7"], errors.map(&:message)
  ensure
    node&.close
  end

  def test_an_exception_in_a_callback_goes_to_on_error_and_the_loop_goes_on
    errors = []
    got = []
    address = inproc("errors")
    node = DripDrop::Node.new do
      route :out, :zmq_push, address, :bind
      route :inbox, :zmq_pull, out.address, :connect
      inbox.on_receive do |msg|
        got << msg.body
        raise ArgumentError, "bad message #{msg.body}" if msg.body == 1

        stop if got.size == 3
      end
      3.times { |i| out.send_message(name: "n", body: i) }
    end
    node.on_error { |e| errors << e }
    run_node(node)
    assert_equal [0, 1, 2], got
    assert_equal 1, errors.size
    assert_instance_of ArgumentError, errors.first
    assert_equal "bad message 1", errors.first.message
    assert(errors.first.backtrace.any? { |line| line.include?("loop_test.rb") })
  end

  def test_the_default_error_handler_prints_class_message_and_backtrace
    node = DripDrop::Node.new do
      next_tick { raise IOError, "printed" }
      after(0.01) { stop }
    end
    _out, err = capture_io { run_node(node) }
    assert_match(/printed \(IOError\)/, err)
    assert_match(/loop_test\.rb/, err)
  end

  def test_post_and_stop_from_other_threads
    got = Thread::Queue.new
    node = DripDrop::Node.new
    node.start
    poster = Thread.new { node.post { got << Thread.current.name } }
    poster.join
    assert_equal "dripdrop-node", Timeout.timeout(LIMIT) { got.pop }
    node.stop
    assert node.join
    refute node.running?
  end

  def test_a_running_node_refuses_other_threads
    ready = Thread::Queue.new
    node = DripDrop::Node.new do
      route :out, :zmq_push, "tcp://127.0.0.1:*", :bind
      next_tick { ready << true }
    end
    node.start
    Timeout.timeout(LIMIT) { ready.pop }
    assert_raises(DripDrop::WrongThread) { node.out.send_message(name: "n") }
    assert_raises(DripDrop::WrongThread) { node.stats }
    node.stop
    node.join
    node.out.send_message(name: "n") # stopped: this thread may use it again
  ensure
    node&.close
  end

  def test_timeout_stops_a_running_node_promptly
    node = DripDrop::Node.new { every(10) { nil } }
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_raises(Timeout::Error) { Timeout.timeout(0.2) { node.start! } }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 5
    refute node.running?
    # It can run again.
    node.after(0.01) { node.stop }
    run_node(node)
  end

  def test_thread_kill_stops_a_running_node
    ready = Thread::Queue.new
    node = DripDrop::Node.new { next_tick { ready << true } }
    thread = Thread.new { node.start! }
    Timeout.timeout(LIMIT) { ready.pop }
    thread.kill
    assert thread.join(LIMIT), "the killed thread did not end"
    refute node.running?
  end

  def test_ctrl_c_raises_interrupt_in_a_running_node
    script = <<~RUBY
      require "dripdrop"
      $stdout.sync = true
      node = DripDrop::Node.new { next_tick { puts "running" } }
      begin
        node.start!
      rescue Interrupt
        puts "interrupted"
      end
    RUBY
    io = ruby_process(script)
    assert_equal "running", next_line(io)
    Process.kill("INT", io.pid)
    assert_equal "interrupted", next_line(io)
    _, status = Process.wait2(io.pid)
    assert status.success?
  ensure
    io&.close
  end

  def test_a_trap_handler_that_changes_errno_leaves_the_waiting_loop_running
    # The handler runs when the signal cuts the loop's wait short, before the engine reads
    # the wait's errno (EINTR): a failing call in it (ENOENT) must not look like the wait's.
    script = <<~RUBY
      require "dripdrop"
      $stdout.sync = true
      node = DripDrop::Node.new do
        route :inbox, :zmq_pull, "inproc://trap-\#{Process.pid}", :bind
        next_tick { puts "waiting" }
      end
      signals = 0
      trap("USR1") do
        signals += 1
        File.exist?("/nonexistent/\#{signals}")
        puts "signal \#{signals}"
        node.stop if signals == 3
      end
      node.start!
      puts "stopped"
    RUBY
    io = ruby_process(script)
    assert_equal "waiting", next_line(io)
    3.times do |i|
      Process.kill("USR1", io.pid)
      assert_equal "signal #{i + 1}", next_line(io)
    end
    assert_equal "stopped", next_line(io)
    _, status = Process.wait2(io.pid)
    assert status.success?
  ensure
    io&.close
  end

  # As `dripdrop launch` starts a node of a manifest: no code change, the run list from
  # DRIPDROP_RUN_LIST (a process of its own, so this one's environment stays as it is).
  def test_the_run_list_comes_from_the_launchers_environment
    script = <<~RUBY
      node = DripDrop::Node.new
      made = []
      node.nodelet(:producer) { made << :producer }
      node.nodelet(:collector) { made << :collector }
      puts [made.join(","), node.run_list.inspect].join(" ")
      node.close
    RUBY
    out, status = Open3.capture2({ "DRIPDROP_RUN_LIST" => "collector" }, *CrossLanguage.ruby, "-rdripdrop",
                                 "-e", script)
    assert status.success?
    assert_equal "collector [:collector]", out.strip
  end

  def test_nodelets_and_the_run_list
    klass = Class.new(DripDrop::Node::Nodelet) do
      def run
        @ran = true
      end
      attr_reader :ran
    end
    addresses = { a: inproc("a"), b: inproc("b") }
    node = DripDrop::Node.new(run_list: [:a]) do
      made = nodelet(:a, klass) { |n| n.route :out, :zmq_push, addresses[:a], :bind }
      left_out = nodelet(:b) { |n| n.route :out, :zmq_push, addresses[:b], :bind }
      next_tick { stop if made && left_out.nil? }
    end
    run_node(node)
    assert_equal [:a], node.nodelets.keys
    refute node.nodelets[:a].ran, "run is the app's to call, as in the original gem"
    assert_same node.a_out, node.nodelets[:a].out
    assert_same node.a, node.nodelets[:a]
    refute node.respond_to?(:b_out)
    node.post { nil } # a stopped node still takes posts
    assert_equal "a", node.stats["routes"]["a_out"]["nodelet"]
  ensure
    node&.close
  end

  def test_send_internal_and_recv_internal
    node = DripDrop::Node.new
    got = []
    node.recv_internal(:chan, :one) { |data| got << [:one, data] }
    node.recv_internal(:chan, :two) { |data| got << [:two, data] }
    node.send_internal(:chan, 5)
    node.remove_recv_internal(:chan, :one)
    node.send_internal(:chan, 6)
    assert_equal [[:one, 5], [:two, 5], [:two, 6]], got
    refute node.send_internal(:nobody, 1)
  ensure
    node&.close
  end

  def test_a_running_node_cannot_be_closed
    refused = []
    node = DripDrop::Node.new do
      next_tick do
        close
      rescue DripDrop::Error => e
        refused << e
        # The engine refuses too, whoever asks.
        begin
          @native.close
        rescue DripDrop::Error => e
          refused << e
        end
        stop
      end
    end
    run_node(node)
    assert_equal 2, refused.size
    assert(refused.all? { |e| e.message.include?("stop it first") }, refused.inspect)
    node.close
  end

  def test_a_closed_node_says_so
    node = DripDrop::Node.new
    node.route :out, :zmq_push, inproc("closed"), :bind
    node.close
    assert_raises(DripDrop::Stopped) { node.out.send_message(name: "n") }
  end

  def test_callbacks_survive_gc_stress
    got = []
    address = inproc("gc")
    node = DripDrop::Node.new do
      route :out, :zmq_push, address, :bind
      route :inbox, :zmq_pull, out.address, :connect
      inbox.on_receive do |msg|
        got << msg.body
        defer(-> { msg.body.map { |x| x * 2 } }, lambda { |doubled|
          got << doubled
          stop if got.size == 6
        })
      end
      3.times { |i| out.send_message(name: "n", head: { "i" => i.to_s }, body: [i, "s#{i}"]) }
    end
    GC.stress = true
    begin
      run_node(node, limit: 120)
    ensure
      GC.stress = false
    end
    assert_equal 6, got.size
    assert_includes got, [2, "s1s1"]
  ensure
    node&.close
  end
end
