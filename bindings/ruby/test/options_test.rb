# frozen_string_literal: true

require_relative "test_helper"

# Options by name: the Ruby Hash goes to core (RouteOptions::from_named and kin), so names,
# units, defaults and errors are core's; symbol and string keys alike.
class OptionsTest < Minitest::Test
  include DripDropTest

  def teardown
    (@nodes || []).each(&:close)
  end

  def node(...)
    (@nodes ||= []) << DripDrop::Node.new(...)
    @nodes.last
  end

  def test_a_wrong_option_is_invalid_argument_naming_it
    n = node
    error = assert_raises(DripDrop::InvalidArgument) { n.route :a, :zmq_push, inproc("a"), :bind, lingr: 1 }
    assert_match(/lingr/, error.message)
    error = assert_raises(DripDrop::InvalidArgument) { n.route :b, :zmq_push, inproc("b"), :bind, linger: -1 }
    assert_match(/linger/, error.message)
    error = assert_raises(DripDrop::InvalidArgument) { n.route :c, :zmq_push, inproc("c"), :bind, send_hwm: "x" }
    assert_match(/send_hwm/, error.message)
    # Ruby's syntax, not the engine's (lookbehind).
    error = assert_raises(DripDrop::InvalidArgument) do
      n.route :d, :zmq_subscribe, inproc("d"), :connect, topic_filter: /(?<=a)b/
    end
    assert_match(/topic_filter/, error.message)
    error = assert_raises(DripDrop::InvalidArgument) { n.worker_pool(:p, local: 1, placement: :wherever) }
    assert_match(/wherever/, error.message)
    assert_raises(DripDrop::InvalidArgument) { n.worker_pool(:q, local: 1, heartbeat: "soon") }
    assert_raises(DripDrop::InvalidArgument) { DripDrop::Node.new(defer_thread: 2) }
    assert_raises(DripDrop::InvalidArgument) { DripDrop::Worker.new("tcp://127.0.0.1:1", concurency: 2) }
    error = assert_raises(DripDrop::InvalidArgument) do
      n.worker_pool(:r, "tcp://127.0.0.1:*", :bind, max_worker_credit: 0)
    end
    assert_match(/max_worker_credit/, error.message)
    error = assert_raises(DripDrop::InvalidArgument) do
      DripDrop::Worker.new("tcp://127.0.0.1:1", max_frame_bytes: 0)
    end
    assert_match(/max_frame_bytes/, error.message)
    n.worker_pool(:s, "tcp://127.0.0.1:*", :bind, lease_timeout: 30, max_result_elements: 10)
  end

  def test_max_frame_bytes_bounds_a_route_and_zero_is_refused
    n = node
    error = assert_raises(DripDrop::InvalidArgument) do
      n.route :zero, :zmq_pull, "tcp://127.0.0.1:*", :bind, max_frame_bytes: 0
    end
    assert_match(/max_frame_bytes/, error.message)
    got = nil
    inbox = n.route :inbox, :zmq_pull, "tcp://127.0.0.1:*", :bind, max_frame_bytes: 64 * 1024
    n.route :out, :zmq_push, inbox.address, :connect
    inbox.on_receive do |msg|
      got = msg.body
      n.stop
    end
    # Raised or lowered, the bound is the decoder's too: a frame inside it decodes.
    n.out.send_message(DripDrop::Message.new("within", body: "x" * 60_000))
    run_node(n)
    assert_equal 60_000, got.bytesize
  end

  def test_string_keys_and_message_class_as_a_string_key
    n = node
    route = n.route :out, :zmq_push, inproc("strings"), :bind, "send_hwm" => 5, "message_class" => DripDrop::Message
    assert_equal DripDrop::Message, route.message_class
    assert_equal [], node("run_list" => ["a"]).nodelets.keys
  end

  def test_a_pool_infers_its_placement
    n = node
    n.task(:double) { |x| x * 2 }
    assert_nil n.worker_pool(:local_only, local: 1).endpoint
    remote = n.worker_pool(:remote_only, "tcp://127.0.0.1:*")
    assert_match(%r{\Atcp://127\.0\.0\.1:\d+\z}, remote.endpoint)
    both = n.worker_pool(:both, "tcp://127.0.0.1:*", local: 1)
    result = nil
    n.after(0) do
      both.defer(:double, 21) do |r|
        result = r
        n.stop
      end
    end
    run_node(n)
    assert_equal 42, result, "local first: the local thread runs it with no worker connected"
  end

  def test_defer_runs_on_cores_default_of_twenty_threads
    arrived = 0
    lock = Mutex.new
    all_there = ConditionVariable.new
    done = 0
    # Each operation waits until all 20 run at once: with fewer threads they never would.
    rendezvous = lambda do
      lock.synchronize do
        arrived += 1
        all_there.broadcast if arrived == 20
        all_there.wait(lock, LIMIT) while arrived < 20
        arrived
      end
    end
    n = node do
      20.times { defer(rendezvous, ->(_) { stop if (done += 1) == 20 }) }
    end
    run_node(n)
    assert_equal 20, done
  end

  def test_a_regexp_filter_keeps_rubys_meaning
    got = []
    address = inproc("regexp")
    n = node do
      route :pub, :zmq_publish, address, :bind
      # Ruby's m lets . match a line break; ^ matches after one.
      route :dotall, :zmq_subscribe, pub.address, :connect, topic_filter: /\Aa.b\z/m
      route :lines, :zmq_subscribe, pub.address, :connect, topic_filter: /^second/
      route :caseless, :zmq_subscribe, pub.address, :connect, topic: /\Aloud\z/i
      dotall.on_receive { |msg| got << [:dotall, msg.name] }
      lines.on_receive { |msg| got << [:lines, msg.name] }
      caseless.on_receive { |msg| got << [:caseless, msg.name] }
      every(0.005) do
        ["a\nb", "a\nc", "first\nsecond", "LOUD", "quiet"].each { |name| pub.send_message(name: name) }
        stop if got.map(&:first).uniq.size == 3
      end
    end
    run_node(n)
    assert_equal [[:caseless, "LOUD"], [:dotall, "a\nb"], [:lines, "first\nsecond"]], got.uniq.sort
  end
end
