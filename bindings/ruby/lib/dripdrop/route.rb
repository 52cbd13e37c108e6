# frozen_string_literal: true

module DripDrop
  # A named route of a node: a ZeroMQ socket of one kind, bound or connected. Its methods are
  # those the kind allows: +on_receive+ and/or +send_message+.
  class Route
    REQUEST_KINDS = %w[zmq_xreq zmq_req].freeze

    attr_reader :name, :kind, :endpoints, :message_class

    def initialize(native, name, kind, endpoints, message_class)
      @native = native
      @name = name
      @kind = kind
      @endpoints = endpoints
      @message_class = message_class
      @requests = REQUEST_KINDS.include?(kind)
    end

    # The first address (with the port ZeroMQ picked for tcp://host:*).
    def address
      @endpoints.first
    end
    alias endpoint address

    # Calls the block with each message received (an instance of +message_class+); on
    # zmq_xrep and zmq_rep routes with (message, response): answer with
    # response.send_message(reply).
    def on_receive(&block)
      raise ArgumentError, "on_receive needs a block" unless block

      @native.on_receive(@name, @message_class, block)
      self
    end
    alias on_recv on_receive

    # Sends a DripDrop::Message (or a Hash with :name, :head, :body). Never blocks: a full
    # route raises DripDrop::Backpressure. On zmq_xreq/zmq_req routes this is a request and
    # the block gets the reply: { |reply| } (an error then goes to the node's on_error) or
    # { |reply, error| } (exactly one of them is nil).
    def send_message(message, &on_reply)
      unless @requests
        raise ArgumentError, "route #{@name} (#{@kind}) gets no replies" if on_reply

        return @native.send_message(@name, message)
      end
      @native.send_request(@name, message, @message_class, Route.reply_handler(on_reply))
    end

    # A request's block as the engine calls it: (reply, error).
    def self.reply_handler(block)
      return ->(_reply, error) { raise error if error } unless block
      return block if block.arity >= 2 || block.arity < -1

      lambda do |reply, error|
        raise error if error

        block.call(reply)
      end
    end

    def inspect
      "#<DripDrop::Route #{@name} #{@kind} #{@endpoints.inspect}>"
    end
  end
end
