# frozen_string_literal: true

module DripDrop
  # The unit every route sends and receives: a name, a head (a Hash of metadata) and a body
  # (any value). On the wire it is exactly what the bert gem writes for
  # BERT.encode({name: name, head: head, body: body}).
  #
  # Subclass it and give the subclass to a route (+message_class:+) to receive instances of
  # it; the engine sets +@name+, +@head+ and +@body+ without calling +initialize+.
  class Message
    attr_accessor :name, :head, :body

    # Message.new('ping', head: {'reply_to' => 'pong'}, body: [1, 2]); the original gem's
    # Message.new('ping', {:head => ..., :body => ...}) works too.
    def initialize(name, extra = nil, head: nil, body: nil)
      raise ArgumentError, "Message names may not be empty or nil" if name.nil? || name.to_s.empty?

      extra ||= {}
      head ||= extra[:head] || extra["head"] || {}
      body = extra.key?(:body) ? extra[:body] : extra["body"] if body.nil?
      raise ArgumentError, "Invalid head #{head.inspect}. Head must be a Hash!" unless head.is_a?(Hash)

      @name = name.to_s
      @head = head
      @body = body
    end

    # The BERT frame a route sends for this message.
    def encoded
      Native.encode_message(self)
    end

    # A frame read back as an instance of this class; nil for nil or an empty string (as the
    # original gem), DripDrop::DecodeError for anything else that is not a message.
    def self.decode(frame)
      return nil if frame.nil? || frame.empty?

      Native.decode_message(self, frame)
    end

    # {name: ..., head: ..., body: ...}: what BERT.decode(message.encoded) gives.
    def to_hash
      { name: @name, head: @head, body: @body }
    end
    alias to_h to_hash

    # A message from a Hash with name/head/body under symbol or string keys.
    def self.from_hash(hash)
      fetch = ->(key) { hash.key?(key) ? hash[key] : hash[key.to_s] }
      new(fetch.call(:name), head: fetch.call(:head), body: fetch.call(:body))
    end

    # A Hash goes through from_hash; anything else to new.
    def self.create_message(*args)
      args.first.is_a?(Hash) ? from_hash(args.first) : new(*args)
    end

    def ==(other)
      other.is_a?(Message) && name == other.name && head == other.head && body == other.body
    end
    alias eql? ==

    def hash
      [name, head, body].hash
    end

    def inspect
      "#<#{self.class.name} #{@name.inspect} head=#{@head.inspect} body=#{@body.inspect}>"
    end
  end
end
