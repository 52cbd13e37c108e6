# frozen_string_literal: true

require_relative "test_helper"

# Raw routes (route option raw: true, or msg_format: :raw): frames pass untouched both ways,
# for peers that do not speak DripDrop.
class RawRoutesTest < Minitest::Test
  include DripDropTest

  def test_frames_pass_untouched_both_ways
    sent = [["plain text"], ["".b], ["a", "".b, "\x00\xFF\x83".b, "d"], ["\xFF".b * 70_000]]
    got = []
    address = inproc("raw")
    node = DripDrop::Node.new do
      route :out, :zmq_push, address, :bind, raw: true
      route :inbox, :zmq_pull, out.address, :connect, msg_format: :raw
      inbox.on_frames do |frames|
        got << frames
        stop if got.size == sent.size
      end
      sent.each { |frames| out.send_frames(frames) }
    end
    run_node(node)
    assert_equal sent.map { |frames| frames.map(&:b) }, got
    assert(got.flatten.all? { |frame| frame.encoding == Encoding::BINARY })
    assert node.out.raw?
    refute DripDrop::Node.new.route(:plain, :zmq_push, inproc("plain"), :bind).raw?
  ensure
    node&.close
  end

  def test_the_original_gems_raw_calls_work_too
    # As the original gem: on_receive gets the frames, send_message takes a String (one
    # frame), an Array (frames) or a message (its encoded frame).
    got = []
    address = inproc("raw-original")
    message = DripDrop::Message.new("hello", body: [1, 2])
    node = DripDrop::Node.new do
      route :out, :zmq_push, address, :bind, raw: true
      route :inbox, :zmq_pull, out.address, :connect, raw: true
      inbox.on_receive do |frames|
        got << frames
        stop if got.size == 3
      end
      out.send_message("one")
      out.send_message(%w[two frames])
      out.send_message(message)
    end
    run_node(node)
    assert_equal [["one"], %w[two frames], [message.encoded]], got
    assert_equal message, DripDrop::Message.decode(got.last.first)
  ensure
    node&.close
  end

  def test_a_raw_route_talks_to_a_dripdrop_route
    got = nil
    address = inproc("raw-to-dripdrop")
    node = DripDrop::Node.new do
      route :out, :zmq_push, address, :bind, raw: true
      route :inbox, :zmq_pull, out.address, :connect
      inbox.on_receive do |msg|
        got = msg
        stop
      end
      out.send_frames([DripDrop::Message.new("from-raw", body: "x").encoded])
    end
    run_node(node)
    assert_equal ["from-raw", "x"], [got.name, got.body]
  ensure
    node&.close
  end

  def test_raw_and_dripdrop_calls_do_not_mix
    node = DripDrop::Node.new
    node.route :raw_in, :zmq_pull, inproc("mix-a"), :bind, raw: true
    node.route :in, :zmq_pull, inproc("mix-b"), :bind
    node.route :out, :zmq_push, inproc("mix-c"), :bind
    assert_raises(DripDrop::RouteError) { node.in.on_frames { |_| nil } }
    assert_raises(DripDrop::RouteError) { node.out.send_frames(["x"]) }
    assert_raises(TypeError) { node.route(:raw_out, :zmq_push, inproc("mix-d"), :bind, raw: true).send_frames([1]) }
  ensure
    node&.close
  end
end
