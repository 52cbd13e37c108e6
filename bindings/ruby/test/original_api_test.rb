# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"

# The original gem's API (andrewvc/dripdrop, lib/ at HEAD and its BERT-era versions), kept so
# its programs run unchanged: nodelets, routes without names, message classes named in the
# head, default_message_class, on_recv, action.
class OriginalApiTest < Minitest::Test
  include DripDropTest

  def teardown
    (@nodes || []).each(&:close)
  end

  def keep(node)
    (@nodes ||= []) << node
    node
  end

  # The original's spec/node/nodelet_spec.rb, in minitest.
  class SpecialNodelet < DripDrop::Node::Nodelet
    def action
      route :worker1, :zmq_pull, distributor_output.address, :connect
      route :worker2, :zmq_pull, distributor_output.address, :connect
    end
  end

  def test_the_original_nodelet_spec
    address = inproc("distributor")
    node = keep(DripDrop::Node.new do
      nodelet :distributor do |nlet|
        nlet.route :output, :zmq_push, address, :bind
      end
      nodelet :worker_cluster, SpecialNodelet
      next_tick { stop }
    end)
    run_node(node)
    nodelets = node.nodelets
    assert_equal 2, nodelets.length
    assert(nodelets.values.all? { |n| n.is_a?(DripDrop::Node::Nodelet) })
    node.routing.each do |route_name, route|
      nodelets.each_value { |nlet| assert_same route, nlet.send(route_name) }
    end
    assert_instance_of SpecialNodelet, nodelets[:worker_cluster]
    assert_instance_of DripDrop::Route, nodelets[:distributor].send(:output)
    assert_instance_of DripDrop::Route, nodelets[:distributor].send(:distributor_output)
    { nodelets[:worker_cluster] => { worker1: :worker_cluster_worker1, worker2: :worker_cluster_worker2 },
      nodelets[:distributor] => { output: :distributor_output } }.each do |nlet, mapping|
      mapping.each { |short, long| assert_same nlet.send(long), nlet.send(short) }
    end
    assert_equal %w[distributor_output worker_cluster_worker1 worker_cluster_worker2],
                 node.stats["routes"].keys.sort
    assert_equal "worker_cluster", node.stats["routes"]["worker_cluster_worker1"]["nodelet"]
  end

  class Configured < DripDrop::Node::Nodelet
    attr_reader :configured_with, :blocks

    def configure(*args)
      @configured_with = args
      @blocks = 0
    end

    def count_block
      @blocks += 1
    end
  end

  def test_nodelet_takes_configure_arguments_and_is_made_once
    node = keep(DripDrop::Node.new)
    first = node.nodelet(:stats, Configured, :fast, 3, &:count_block)
    again = node.nodelet(:stats, Configured, :ignored, &:count_block)
    assert_same first, again
    assert_equal [:fast, 3], first.configured_with
    assert_equal 2, first.blocks, "the block runs at every call, with the same nodelet"
    assert_same first, node.nodelets[:stats]
    assert_same DripDrop::Nodelet, DripDrop::Node::Nodelet
    assert_nil keep(DripDrop::Node.new(run_list: ["other"])).nodelet(:stats, Configured)
  end

  def test_a_nodelet_method_is_defined_and_routes_made_later_belong_to_it
    address = inproc("later")
    node = keep(DripDrop::Node.new)
    node.nodelet :mynodelet
    node.mynodelet.route :route_name, :zmq_push, address, :bind
    assert_same node.mynodelet_route_name, node.mynodelet.route_name
    assert_equal "mynodelet", node.stats["routes"]["mynodelet_route_name"]["nodelet"]
  end

  def test_a_nodelet_passes_what_it_does_not_know_to_the_node
    fired = false
    node = keep(DripDrop::Node.new do
      nodelet(:ticker) do |n|
        n.after(0) do
          fired = true
          n.stop
        end
      end
    end)
    run_node(node)
    assert fired
  end

  def test_routes_without_names
    got = []
    address = inproc("unnamed")
    node = keep(DripDrop::Node.new do
      zmq_pull(address, :connect).on_recv do |message|
        got << message.body
        stop
      end
      push = zmq_push(address, :bind)
      push.send_message(name: "test", body: "Test Payload")
    end)
    run_node(node)
    assert_equal ["Test Payload"], got
    assert_equal({}, node.routing)
  end

  def test_action_without_block_or_subclass_raises_a_clear_error
    node = keep(DripDrop::Node.new)
    error = assert_raises(DripDrop::Error) { node.action }
    assert_match(/no block or action/, error.message)
    # A node set up from outside starts as it is.
    node.after(0) { node.stop }
    run_node(node)
  end

  def test_the_original_options_and_error_handler
    node = keep(DripDrop::Node.new(debug: true, "run_list" => ["a"]))
    assert node.debug
    assert_equal [:a], node.run_list
    klass = Class.new(DripDrop::Node) do
      class << self
        attr_accessor :seen
      end

      # The original's error handler was the node class's.
      def self.error_handler(error)
        (self.seen ||= []) << error.message
      end

      def action
        next_tick { raise "from a callback" }
        after(0.01) { stop }
      end
    end
    run_node(keep(klass.new))
    assert_equal ["from a callback"], klass.seen
  end

  class Base < DripDrop::Message; end
  class SubA < Base; end
  class SubB < Base; end

  # The messages the pull route of +message_class+ got (or the errors on_error got) for each
  # of +messages+.
  def receive_as(message_class, messages)
    got = []
    address = inproc("classes")
    node = keep(DripDrop::Node.new do
      route :out, :zmq_push, address, :bind
      route :inbox, :zmq_pull, out.address, :connect, message_class: message_class
      finish = ->(item) { (got << item).size == messages.size && stop }
      on_error { |e| finish.call(e) }
      inbox.on_receive { |msg| finish.call(msg) }
      messages.each { |m| out.send_message(m) }
    end)
    run_node(node)
    got
  end

  def test_a_message_of_a_subclass_names_its_class
    assert_equal({ "k" => 1, msg_class: "OriginalApiTest::SubA" }, SubA.new("n", head: { "k" => 1 }).head)
    assert_equal({ "k" => 1 }, DripDrop::Message.new("n", head: { "k" => 1 }).head)
    assert_equal({}, Class.new(DripDrop::Message).new("n").head, "an anonymous class has no name to give")
  end

  def test_a_received_message_is_of_the_class_its_head_names
    got = receive_as(Base, [SubA.new("a"), SubB.new("b"), { name: "plain" },
                            DripDrop::Message.new("m", head: { "message_class" => "OriginalApiTest::SubB" }),
                            DripDrop::Message.new("x", head: { msg_class: "No::Such::Class" }),
                            DripDrop::Message.new("y", head: { msg_class: "DripDrop::Message" })])
    by_name = got.to_h { |m| [m.name, m.class] }
    assert_equal({ "a" => SubA, "b" => SubB, "plain" => Base, "m" => SubB, "x" => Base, "y" => Base }, by_name)
  end

  def test_a_head_naming_another_class_is_a_wrong_message_class_error
    got = receive_as(SubA, [SubB.new("b"), DripDrop::Message.new("s", head: { msg_class: "String" }), SubA.new("a")])
    errors, messages = got.partition { |item| item.is_a?(Exception) }
    assert_equal [DripDrop::WrongMessageClassError] * 2, errors.map(&:class)
    assert_match(/SubB/, errors.first.message)
    assert_equal [SubA], messages.map(&:class)
  end

  class Stamped < DripDrop::Message
    def self.recreate_message(hash)
      message = super
      message.head["stamps"] = (message.head["stamps"] || 0) + 1
      message
    end
  end

  def test_a_class_that_overrides_recreate_message_has_it_called
    got = receive_as(Stamped, [{ name: "hash" }, Stamped.new("own")])
    assert_equal [1, 1], got.map { |m| m.head["stamps"] }
    assert(got.all? { |m| m.is_a?(Stamped) })
    refute Stamped.made_natively?
    assert SubA.made_natively?
    decoded = Stamped.decode(Stamped.new("d").encoded)
    assert_equal [Stamped, 1], [decoded.class, decoded.head["stamps"]]
  end

  def test_default_message_class
    DripDrop.default_message_class = Base
    got = receive_as(nil, [{ name: "plain" }])
    assert_equal [Base], got.map(&:class)
    route = keep(DripDrop::Node.new).route(:r, :zmq_push, inproc("default"), :bind)
    assert_equal Base, route.message_class
  ensure
    DripDrop.default_message_class = nil
    assert_equal DripDrop::Message, DripDrop.default_message_class
  end

  def test_a_hash_sent_on_a_route_of_a_message_class_becomes_one
    got = []
    address = inproc("hash-class")
    node = keep(DripDrop::Node.new do
      route :out, :zmq_push, address, :bind, message_class: SubA
      route :inbox, :zmq_pull, out.address, :connect, message_class: Base
      inbox.on_receive do |msg|
        got << msg
        stop
      end
      out.send_message(name: "h")
    end)
    run_node(node)
    assert_equal [SubA], got.map(&:class)
  end

  def test_require_dripdrop_node_alone_gives_a_working_node
    script = 'require "dripdrop/node"; node = DripDrop::Node.new { after(0) { puts DripDrop::Message.name; stop } }; ' \
             "node.start!"
    out = IO.popen([*CrossLanguage.ruby, "-e", script], err: %i[child out], &:read)
    assert_equal "DripDrop::Message\n", out
  end
end
