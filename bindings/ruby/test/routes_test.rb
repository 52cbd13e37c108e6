# frozen_string_literal: true

require_relative "test_helper"

class RoutesTest < Minitest::Test
  include DripDropTest

  class Tick < DripDrop::Message; end

  def test_push_pull_delivers_every_message_in_order
    got = []
    node = DripDrop::Node.new do
      route :out, :zmq_push, "tcp://127.0.0.1:*", :bind
      route :inbox, :zmq_pull, out.address, :connect
      inbox.on_receive do |msg|
        got << msg.body
        stop if got.size == 100
      end
      100.times { |i| out.send_message(DripDrop::Message.new("n", body: i)) }
    end
    run_node(node)
    assert_equal (0...100).to_a, got
    assert_match %r{\Atcp://127\.0\.0\.1:\d+\z}, node.out.address
    stats = node.stats["routes"]
    assert_equal 100, stats["out"]["messages_out"]
    assert_equal 100, stats["inbox"]["messages_in"]
  ensure
    node&.close
  end

  def test_routes_are_methods_and_in_the_routing_table
    node = DripDrop::Node.new
    route = node.route :out, :zmq_push, inproc("methods"), :bind
    assert_same route, node.out
    assert_same route, node.routing[:out]
    assert_equal "zmq_push", route.kind
  ensure
    node&.close
  end

  def test_pub_sub_filters_by_prefix_and_regexp
    by_prefix = []
    by_regexp = []
    node = DripDrop::Node.new do
      route :pub, :zmq_publish, "tcp://127.0.0.1:*", :bind
      route :a_sub, :zmq_subscribe, pub.address, :connect, topic_filter: "a"
      route :b_sub, :zmq_subscribe, pub.address, :connect, topic_filter: /\Ab\d+\z/
      a_sub.on_receive { |msg| by_prefix << msg.name }
      b_sub.on_receive { |msg| by_regexp << msg.name }
      count = 0
      # Subscribers join late (ZeroMQ's slow joiner): publish until both have enough.
      every(0.005) do
        %w[a b bx c].each { |prefix| pub.send_message(name: "#{prefix}#{count}") }
        count += 1
        stop if by_prefix.size >= 5 && by_regexp.size >= 5
      end
    end
    run_node(node)
    assert(by_prefix.all? { |name| name.start_with?("a") }, by_prefix.inspect)
    assert(by_regexp.all? { |name| name.match?(/\Ab\d+\z/) }, by_regexp.inspect)
    assert_operator node.stats["routes"]["b_sub"]["filtered"], :>, 0
  ensure
    node&.close
  end

  def test_xrep_answers_xreq_requests
    replies = []
    node = DripDrop::Node.new do
      route :server, :zmq_xrep, "tcp://127.0.0.1:*", :bind
      route :client, :zmq_xreq, server.address, :connect
      server.on_receive do |msg, response|
        response.send_message(DripDrop::Message.new("doubled", body: msg.body * 2))
      end
      client.send_message(DripDrop::Message.new("double", body: 21)) { |reply| replies << reply.body }
      client.send_message(name: "double", body: 5) do |reply, error|
        replies << [reply.body, error]
        stop
      end
    end
    run_node(node)
    assert_equal [42, [10, nil]], replies
  end

  def test_a_request_nobody_answers_times_out
    outcome = nil
    node = DripDrop::Node.new do
      route :server, :zmq_xrep, "tcp://127.0.0.1:*", :bind
      route :client, :zmq_xreq, server.address, :connect, request_timeout: 0.1
      server.on_receive { |_msg, _response| nil } # never answers
      client.send_message(name: "q") do |reply, error|
        outcome = [reply, error]
        stop
      end
    end
    run_node(node)
    assert_nil outcome[0]
    assert_kind_of DripDrop::TimeoutError, outcome[1]
  end

  def test_req_rep_and_pair
    got = []
    rep_address = inproc("rep")
    pair_address = inproc("pair")
    node = DripDrop::Node.new do
      route :rep, :zmq_rep, rep_address, :bind
      route :req, :zmq_req, rep.address, :connect
      rep.on_receive { |msg, response| response.send_message(name: "pong", body: msg.body) }
      route :left, :zmq_pair, pair_address, :bind
      route :right, :zmq_pair, left.address, :connect
      right.on_receive do |msg|
        got << msg.name
        stop if got.size == 2
      end
      req.send_message(name: "ping", body: "x") do |reply|
        got << "#{reply.name}:#{reply.body}"
        stop if got.size == 2
      end
      left.send_message(name: "over-pair")
    end
    run_node(node)
    assert_equal ["over-pair", "pong:x"], got.sort
  end

  def test_message_class_makes_received_messages_of_that_class
    got = nil
    address = inproc("class")
    node = DripDrop::Node.new do
      route :out, :zmq_push, address, :bind
      route :inbox, :zmq_pull, out.address, :connect, message_class: Tick
      inbox.on_receive do |msg|
        got = msg
        stop
      end
      out.send_message(name: "tick", body: 1)
    end
    run_node(node)
    assert_instance_of Tick, got
    assert_equal "tick", got.name
  end

  def test_bad_routes_raise_clear_errors
    node = DripDrop::Node.new
    assert_raises(DripDrop::InvalidArgument) { node.route :x, :zmq_nothing, inproc("x"), :bind }
    assert_raises(DripDrop::InvalidArgument) { node.route :y, :zmq_push, inproc("y"), :sideways }
    assert_raises(DripDrop::InvalidArgument) { node.route :z, :zmq_push, inproc("z"), :bind, bogus: 1 }
    assert_raises(DripDrop::ZmqError) { node.route :w, :zmq_push, "nonsense://here", :bind }
    node.route :pull, :zmq_pull, inproc("pull"), :bind
    assert_raises(DripDrop::RouteError) { node.route :pull, :zmq_pull, inproc("again"), :bind }
    assert_raises(DripDrop::RouteError) { node.pull.send_message(name: "n") }
    assert_raises(ArgumentError) { node.route :stop, :zmq_push, inproc("stop"), :bind }
    assert_raises(DripDrop::NoSuchRoute) { node.send_message(:missing, name: "n") }
  ensure
    node&.close
  end

  def test_address_in_use_is_a_zmq_error
    node = DripDrop::Node.new
    taken = node.route(:a, :zmq_push, "tcp://127.0.0.1:*", :bind).address
    assert_raises(DripDrop::ZmqError) { node.route :b, :zmq_push, taken, :bind }
  ensure
    node&.close
  end

  def test_a_full_route_raises_backpressure
    node = DripDrop::Node.new
    # No peer ever connects: ZeroMQ holds a message or two (its high-water mark is 1), the
    # route's own queue 3, and then the route says so.
    node.route :out, :zmq_push, "tcp://127.0.0.1:1", :connect, send_queue: 3, send_hwm: 1
    error = assert_raises(DripDrop::Backpressure) { 10.times { node.out.send_message(name: "n") } }
    assert_match(/out/, error.message)
  ensure
    node&.close
  end
end
