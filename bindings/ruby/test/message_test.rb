# frozen_string_literal: true

require_relative "test_helper"
require "bert"

class MessageTest < Minitest::Test
  class Ping < DripDrop::Message; end

  def sample
    DripDrop::Message.new("status", head: { "from" => "node-1", "seq" => 7 },
                                    body: { "load" => [1, 2, 3], "ok" => true, "tag" => :up })
  end

  def test_fields
    msg = sample
    assert_equal "status", msg.name
    assert_equal({ "from" => "node-1", "seq" => 7 }, msg.head)
    assert_equal [1, 2, 3], msg.body["load"]
  end

  def test_the_original_gems_positional_hash_works
    msg = DripDrop::Message.new("n", { head: { "k" => 1 }, "body" => "b" })
    assert_equal({ "k" => 1 }, msg.head)
    assert_equal "b", msg.body
  end

  def test_bad_names_and_heads_raise
    assert_raises(ArgumentError) { DripDrop::Message.new("") }
    assert_raises(ArgumentError) { DripDrop::Message.new(nil) }
    assert_raises(ArgumentError) { DripDrop::Message.new("n", head: [1]) }
  end

  def test_encoded_is_byte_for_byte_what_the_bert_gem_writes
    msg = sample
    assert_equal BERT.encode(msg.to_hash), msg.encoded
  end

  def test_the_bert_gem_decodes_the_original_hash
    decoded = BERT.decode(sample.encoded)
    assert_equal sample.to_hash, decoded
  end

  def test_decode_reads_what_the_bert_gem_writes
    hash = { name: "status", head: { "seq" => 1 }, body: [BERT::Tuple[:ok, 2**70], 1.25] }
    msg = DripDrop::Message.decode(BERT.encode(hash))
    assert_equal "status", msg.name
    assert_equal({ "seq" => 1 }, msg.head)
    assert_equal [DripDrop::Tuple[:ok, 2**70], 1.25], msg.body
  end

  def test_decode_round_trips_and_keeps_the_class
    assert_equal sample, DripDrop::Message.decode(sample.encoded)
    ping = Ping.decode(sample.encoded)
    assert_instance_of Ping, ping
    assert_equal sample.body, ping.body
  end

  def test_to_hash_and_from_hash
    assert_equal({ name: "status", head: sample.head, body: sample.body }, sample.to_hash)
    assert_equal sample, DripDrop::Message.from_hash(sample.to_hash)
    with_strings = { "name" => "status", "head" => sample.head, "body" => sample.body }
    assert_equal sample, DripDrop::Message.from_hash(with_strings)
    assert_equal sample, DripDrop::Message.create_message(sample.to_hash)
  end

  def test_decoding_what_is_not_a_message
    assert_nil DripDrop::Message.decode(nil)
    assert_nil DripDrop::Message.decode("")
    assert_raises(DripDrop::DecodeError) { DripDrop::Message.decode("nope") }
    assert_raises(DripDrop::Error) { DripDrop::Message.decode(DripDrop.encode([1, 2])) }
  end

  def test_a_value_that_is_not_a_message_cannot_be_sent
    node = DripDrop::Node.new
    node.route :out, :zmq_push, inproc("not-a-message"), :bind
    assert_raises(DripDrop::MessageError) { node.out.send_message(42) }
    assert_raises(DripDrop::MessageError) { node.out.send_message(body: 1) }
    assert_raises(DripDrop::EncodeError) { node.out.send_message(name: "n", body: Object.new) }
  ensure
    node&.close
  end

  include DripDropTest
end
