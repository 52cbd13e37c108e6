# frozen_string_literal: true

require "dripdrop/native"

module DripDrop
  class << self
    # The message class of routes that name none (route option +message_class:+), as in the
    # original gem: DripDrop.default_message_class = TimestampedMessage.
    attr_writer :default_message_class

    def default_message_class
      @default_message_class || Message
    end
  end

  # The unit every route sends and receives: a name, a head (a Hash of metadata) and a body
  # (any value). On the wire it is exactly what the bert gem writes for
  # BERT.encode({name: name, head: head, body: body}).
  #
  # Subclass it and give the subclass to a route (+message_class:+) to receive instances of
  # it. A message of a named subclass says so in its head, under +:msg_class+ (as the original
  # gem's BERT versions did), and a route makes a received message an instance of the class
  # its head names when that class is the route's or a subclass of it (see
  # +recreate_message+). Plain DripDrop::Messages name no class, so what other languages see
  # is only what was given.
  class Message
    # Where a message of a subclass names its class.
    CLASS_KEY = :msg_class
    # Where a received head may name it: the original gem's BERT versions (+:msg_class+) and
    # its later ones ("message_class").
    CLASS_KEYS = [:msg_class, "msg_class", "message_class", :message_class].freeze
    CONSTANT_PATH = /\A(::)?[A-Z]\w*(::[A-Z]\w*)*\z/.freeze
    private_constant :CONSTANT_PATH

    attr_accessor :name, :head, :body

    # Message.new('ping', head: {'reply_to' => 'pong'}, body: [1, 2]); the original gem's
    # Message.new('ping', {:head => ..., :body => ...}) works too.
    #
    # Every message sent from Ruby comes through here, so it allocates nothing of its own for
    # the common call (no +extra+): a fifth of a small message's sending was this method.
    def initialize(name, extra = nil, head: nil, body: nil)
      text = name.nil? ? nil : name.to_s
      raise ArgumentError, "Message names may not be empty or nil" if text.nil? || text.empty?

      if extra
        head ||= extra[:head] || extra["head"]
        body = extra.key?(:body) ? extra[:body] : extra["body"] if body.nil?
      end
      head ||= {}
      raise ArgumentError, "Invalid head #{head.inspect}. Head must be a Hash!" unless head.is_a?(Hash)

      @name = text
      @head = instance_of?(Message) || !self.class.names_itself? ? head : head.merge(CLASS_KEY => self.class.name)
      @body = body
    end

    # The BERT frame a route sends for this message.
    def encoded
      Native.encode_message(self)
    end

    # A frame read back as a message of this class (see +recreate_message+); nil for nil or an
    # empty string (as the original gem), DripDrop::DecodeError for anything else that is not
    # a message.
    def self.decode(frame)
      return nil if frame.nil? || frame.empty?

      Native.decode_message(self, made_natively?, frame)
    end

    # A received message, as {name:, head:, body:}, as an instance of the class its head names
    # (a subclass of this one, or this one), through that class's +from_hash+; of this class
    # when the head names no class, a class this process does not have, or an ancestor of this
    # one (DripDrop::Message: the original gem named it in every message). A head naming any
    # other class raises DripDrop::WrongMessageClassError. Subclasses may override this (call
    # super) to change what they receive, as in the original gem.
    def self.recreate_message(hash)
      head = hash.key?(:head) ? hash[:head] : hash["head"]
      named = Message.class_named_in(head)
      return from_hash(hash) if named.nil? || self <= named
      unless named <= self
        raise WrongMessageClassError,
              "wrong message class #{named}, expected #{self} or a subclass, for message #{hash.inspect}"
      end

      named.from_hash(hash)
    end

    # The class a head names, if this process has a class of that name.
    def self.class_named_in(head)
      return nil unless head.is_a?(Hash)

      key = CLASS_KEYS.find { |k| head.key?(k) }
      name = key && head[key]
      return nil unless name.is_a?(String) || name.is_a?(Symbol)
      return nil unless name.to_s.match?(CONSTANT_PATH)

      named = Object.const_get(name.to_s)
      named.is_a?(Class) ? named : nil
    rescue NameError
      nil
    end

    # Whether messages of this class name it in their head: those of a named subclass.
    def self.names_itself?
      !equal?(Message) && !name.nil?
    end

    # Whether a received message of this class may be made without calling Ruby (the engine
    # sets @name, @head and @body of a new instance): true unless the class changes how
    # messages are made (+recreate_message+, +from_hash+ or +initialize+), which then run for
    # every message, as in the original gem.
    def self.made_natively?
      plain = Message.singleton_class
      method(:recreate_message).owner == plain && method(:from_hash).owner == plain &&
        instance_method(:initialize).owner == Message
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
