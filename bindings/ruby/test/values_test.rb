# frozen_string_literal: true

require_relative "test_helper"
require "bert"

class ValuesTest < Minitest::Test
  SAMPLES = [
    nil, true, false, 0, -1, 255, 256, 2**31, -(2**31) - 1, 2**62, 2**64, -(2**100),
    1.5, -0.25, 1e300, "text", "héllo wörld", "\xff\x00\xfe".b, "",
    :atom, :"with space", [], [1, [2, [3, []]]], DripDrop::Tuple[1, "a", :b], DripDrop::Tuple[],
    { "a" => 1, b: [2, { 3 => nil }] }, {},
    Time.at(1_700_000_000, 123_456), Time.at(0), /a.b/i, /x y/mx
  ].freeze

  def test_every_ruby_type_round_trips
    SAMPLES.each do |value|
      back = DripDrop.decode(DripDrop.encode(value))
      assert_same_value value, back, "round trip of #{value.inspect}"
      assert_equal value.class, back.class, "class after round trip of #{value.inspect}"
    end
  end

  def test_strings_come_back_utf8_when_valid_else_binary
    assert_equal Encoding::UTF_8, DripDrop.decode(DripDrop.encode("héllo")).encoding
    assert_equal Encoding::UTF_8, DripDrop.decode(DripDrop.encode("plain".b)).encoding
    assert_equal Encoding::BINARY, DripDrop.decode(DripDrop.encode("\xff".b)).encoding
  end

  # Received Hashes are built without Hash#[]= (raw calls, cached keys): they must hold what
  # Hash#[]= would have made, for keys of every kind.
  def test_decoded_hashes_hold_what_hash_aset_would
    keys = ["k", "héllo", "\xff".b, "x" * 100, :sym, 7, 2**70, 1.5, nil, true, [1, "a"],
            DripDrop::Tuple[1, 2], { "n" => 1 }]
    hash = keys.each_with_index.to_h
    2.times do # the second time, short String keys come from the cache
      back = DripDrop.decode(DripDrop.encode(hash))
      assert_equal hash, back
      keys.each_with_index { |k, i| assert_equal i, back[k], "lookup of #{k.inspect}" }
      back.each_key do |k|
        next unless k.is_a?(String)

        assert k.frozen?, "#{k.inspect} frozen, as Hash#[]= leaves a String key"
        assert_equal k.b == "\xff".b ? Encoding::BINARY : Encoding::UTF_8, k.encoding
      end
      # Received values are the app's to change, keys aside.
      back["k"] = 99
      back[:new] = "x"
      assert_equal 99, back["k"]
    end
  end

  # Small Hashes go in with one bulk insert: a small Hash with a key that hashes through Ruby
  # takes the slow way, and a repeated key (a peer may send one) keeps its last value either way.
  def test_small_decoded_hashes_of_any_keys_and_repeated_keys
    small = { [1, 2] => "array key", "s" => 1, DripDrop::Tuple[3] => :tuple }
    assert_equal small, DripDrop.decode(DripDrop.encode(small))
    [{ "a" => 1, "b" => 2 }, ("a".."z").to_h { |c| [c, c.ord] }].each do |hash|
      first, last = hash.keys.values_at(0, -1)
      # The last key written as the first (BERT binaries: tag 109, length, bytes): the same
      # key twice.
      binary = ->(text) { [109, text.bytesize].pack("CN") + text.b }
      repeated = DripDrop.encode(hash).b.sub(binary.call(last), binary.call(first))
      back = DripDrop.decode(repeated)
      assert_equal hash.values.last, back[first], "#{hash.size} entries"
      assert_equal hash.size - 1, back.size
    end
  end

  def test_decoded_strings_are_new_and_mutable
    a = DripDrop.decode(DripDrop.encode({ "k" => "value" }))
    b = DripDrop.decode(DripDrop.encode({ "k" => "value" }))
    refute a["k"].frozen?
    a["k"] << "!"
    assert_equal "value", b["k"]
    assert_same a.keys.first, b.keys.first, "keys are interned, as Hash#[]= makes them"
  end

  def test_the_bert_gem_reads_what_we_write
    SAMPLES.each do |value|
      theirs = BERT.decode(DripDrop.encode(value))
      assert_same_value normalize(value), normalize(theirs), "bert gem reading #{value.inspect}"
    end
  end

  def test_we_read_what_the_bert_gem_writes
    SAMPLES.each do |value|
      ours = DripDrop.decode(BERT.encode(bert_form(value)))
      assert_same_value normalize(value), normalize(ours), "reading the bert gem's #{value.inspect}"
    end
  end

  def test_a_bert_gem_tuple_is_sent_as_a_tuple
    back = DripDrop.decode(DripDrop.encode(BERT::Tuple[1, 2]))
    assert_instance_of DripDrop::Tuple, back
    assert_equal [1, 2], back.to_a
  end

  def test_values_bert_cannot_carry_raise_encode_error
    assert_raises(DripDrop::EncodeError) { DripDrop.encode(Float::NAN) }
    assert_raises(DripDrop::EncodeError) { DripDrop.encode(Float::INFINITY) }
    error = assert_raises(DripDrop::EncodeError) { DripDrop.encode([Object.new]) }
    assert_match(/Object/, error.message)
    deep = []
    300.times { deep = [deep] }
    assert_raises(DripDrop::EncodeError) { DripDrop.encode(deep) }
  end

  def test_a_cyclic_value_is_an_error_not_a_crash
    cyclic = []
    cyclic << cyclic
    assert_raises(DripDrop::EncodeError) { DripDrop.encode(cyclic) }
  end

  def test_bad_frames_raise_decode_error
    assert_raises(DripDrop::DecodeError) { DripDrop.decode("garbage") }
    frame = DripDrop.encode([1, 2, 3])
    (1...frame.bytesize).each do |cut|
      assert_raises(DripDrop::DecodeError) { DripDrop.decode(frame.byteslice(0, cut)) }
    end
    # A hostile peer's nesting: 100,000 list headers claiming one element each.
    hostile = "\x83".b + ("l\x00\x00\x00\x01".b * 100_000)
    assert_raises(DripDrop::DecodeError) { DripDrop.decode(hostile) }
    # A list claiming four billion elements in a tiny frame.
    assert_raises(DripDrop::DecodeError) { DripDrop.decode("\x83l\xff\xff\xff\xffj".b) }
  end

  def test_every_error_is_a_dripdrop_error
    [DripDrop::DecodeError, DripDrop::EncodeError, DripDrop::MessageError, DripDrop::ZmqError,
     DripDrop::Backpressure, DripDrop::TimeoutError, DripDrop::RemoteError, DripDrop::Stopped,
     DripDrop::WrongThread, DripDrop::InvalidArgument, DripDrop::RouteError].each do |klass|
      assert_operator klass, :<, DripDrop::Error
    end
    assert_operator DripDrop::Error, :<, StandardError
  end

  private

  def assert_same_value(expected, actual, message)
    if expected.nil?
      assert_nil actual, message
    else
      assert_equal expected, actual, message
    end
  end

  # The bert gem's own forms: its tuples are BERT::Tuple, its strings binary.
  def bert_form(value)
    case value
    when DripDrop::Tuple then BERT::Tuple.new(value.map { |v| bert_form(v) })
    when Array then value.map { |v| bert_form(v) }
    when Hash then value.to_h { |k, v| [bert_form(k), bert_form(v)] }
    else value
    end
  end

  # Compares across the two libraries: tuples as tagged arrays, strings by bytes.
  def normalize(value)
    case value
    when DripDrop::Tuple, BERT::Tuple then [:tuple, value.map { |v| normalize(v) }]
    when Array then value.map { |v| normalize(v) }
    when Hash then value.to_h { |k, v| [normalize(k), normalize(v)] }
    when String then value.b
    else value
    end
  end
end
