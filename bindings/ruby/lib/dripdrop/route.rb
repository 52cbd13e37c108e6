# frozen_string_literal: true

require "dripdrop/message"

module DripDrop
  # A named route of a node: a ZeroMQ socket of one kind, bound or connected. Its methods are
  # those the kind allows: +on_receive+ and/or +send_message+; on a raw route (route option
  # +raw: true+ or +msg_format: :raw+, for peers that do not speak DripDrop) +on_frames+ and
  # +send_frames+. A websocket route holds connections: its handlers get the
  # DripDrop::Connection too, and it has +on_open+, +on_close+, +on_error+ and +broadcast+.
  class Route
    REQUEST_KINDS = %w[zmq_xreq zmq_req http_client].freeze

    attr_reader :name, :kind, :endpoints, :message_class

    def initialize(native, name, kind, endpoints, message_class, raw)
      @native = native
      @name = name
      @kind = kind
      @endpoints = endpoints
      @message_class = message_class
      @made_natively = message_class.made_natively?
      # As in the original gem, a Hash sent on a route of another message class is made an
      # instance of that class (so it names its class to the receiver).
      @own_class = !message_class.equal?(Message)
      @raw = raw
      @requests = REQUEST_KINDS.include?(kind)
    end

    # The first address (with the port ZeroMQ picked for tcp://host:*).
    def address
      @endpoints.first
    end
    alias endpoint address

    def raw?
      @raw
    end

    # Calls the block with each message received (a +message_class+, see
    # Message.recreate_message); on zmq_xrep, zmq_rep and http_server routes with (message,
    # response): answer with response.send_message(reply) (on http_server also
    # send_status(status, reply) or send_file(path)); on a websocket route with (message,
    # connection): answer with connection.send_message(reply). On a raw route the block gets
    # the frames, as +on_frames+ (and as the original gem's raw routes did).
    def on_receive(&block)
      raise ArgumentError, "on_receive needs a block" unless block
      return on_frames(&block) if @raw

      @native.on_receive(@name, @message_class, @made_natively, block)
      self
    end
    alias on_recv on_receive

    # Calls the block with the frames of each message a raw route receives: an Array of
    # binary Strings, untouched (and the connection, on a websocket route).
    def on_frames(&block)
      raise ArgumentError, "on_frames needs a block" unless block

      @native.on_frames(@name, block)
      self
    end

    # Calls the block with each connection a websocket route opens: { |connection| }.
    def on_open(&block)
      raise ArgumentError, "on_open needs a block" unless block

      @native.on_open(@name, block)
      self
    end

    # Calls the block with each connection that closes, whichever side closed it.
    def on_close(&block)
      raise ArgumentError, "on_close needs a block" unless block

      @native.on_close(@name, block)
      self
    end

    # Calls the block when something goes wrong on a connection (a frame over the route's
    # bound, text that is not a JSON message...): { |reason, connection| }, as in the original
    # gem. Errors of the node's own (a raising callback) still go to Node#on_error.
    def on_error(&block)
      raise ArgumentError, "on_error needs a block" unless block

      @native.on_connection_error(@name, block)
      self
    end

    # Sends a message (or a Hash) to every open connection of a websocket route; returns how
    # many it went to (a connection whose send queue is full misses it).
    def broadcast(message)
      message = @message_class.from_hash(message) if @own_class && message.is_a?(Hash)
      @native.broadcast(@name, message)
    end

    # Sends one frame (a String, as its bytes) untouched to every open connection of a raw
    # websocket route; returns how many it went to.
    def broadcast_frame(frame)
      @native.broadcast_frame(@name, frame)
    end

    # Sends a DripDrop::Message (or a Hash with :name, :head, :body). Never blocks: a full
    # route raises DripDrop::Backpressure. On zmq_xreq/zmq_req routes this is a request and
    # the block gets the reply: { |reply| } (an error then goes to the node's on_error) or
    # { |reply, error| } (exactly one of them is nil). On a raw route, a String is sent as one
    # frame, an Array as frames, and a message as its encoded frame (as the original gem).
    def send_message(message, &on_reply)
      return send_raw(message, on_reply) if @raw

      message = @message_class.from_hash(message) if @own_class && message.is_a?(Hash)
      unless @requests
        raise ArgumentError, "route #{@name} (#{@kind}) gets no replies" if on_reply

        return @native.send_message(@name, message)
      end
      @native.send_request(@name, message, @message_class, @made_natively,
                           Route.reply_handler(on_reply))
    end

    # Sends frames (Strings, sent as their bytes) untouched on a raw route.
    def send_frames(frames)
      @native.send_frames(@name, Array(frames))
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

    private

    def send_raw(message, on_reply)
      raise ArgumentError, "route #{@name} is raw: its replies come to on_frames" if on_reply

      frames =
        case message
        when Array then message
        when String then [message]
        when Hash then [@message_class.from_hash(message).encoded]
        else [message.encoded]
        end
      send_frames(frames)
    end
  end
end
