# frozen_string_literal: true

module DripDrop
  # Any DripDrop error. Every error the engine reports is one of these subclasses.
  class Error < StandardError; end

  # Bytes that are not a valid BERT frame or message.
  class DecodeError < Error; end

  # A value BERT cannot carry (a NaN, an object of another class...).
  class EncodeError < Error; end

  # A value that is not a valid message (no name, a head that is not a Hash...).
  class MessageError < Error; end

  # A bad argument: an unknown route kind, a bad option...
  class InvalidArgument < Error; end

  # ZeroMQ refused: a bad address, an address in use...
  class ZmqError < Error; end

  # A route's send queue or a pool's pending queue is full; retry later.
  class Backpressure < Error; end

  # No route (or pool) has this name.
  class NoSuchRoute < Error; end

  # No worker pool has that name (a NoSuchRoute too, as it used to be raised).
  class NoSuchPool < NoSuchRoute; end

  # The route's kind does not do that, or a route of that name exists already.
  class RouteError < Error; end

  # A request or task did not finish in time.
  class TimeoutError < Error; end

  # The peer, or a task on a worker, failed: +remote_class+, +remote_message+ and
  # +remote_backtrace+ (an Array of lines) say how.
  class RemoteError < Error
    attr_reader :remote_class, :remote_message, :remote_backtrace

    def initialize(message = nil, remote_class = "", remote_message = "", remote_backtrace = [])
      super(message)
      @remote_class = remote_class
      @remote_message = remote_message
      @remote_backtrace = remote_backtrace
    end
  end

  # A connection could not be made, was lost, or is closed: an http_client's refused or reset
  # connection, a websocket connection sent to after it closed.
  class ConnectionError < Error; end

  # A CURVE certificate or key that cannot be used (a file that cannot be read or is not a
  # certificate, a public certificate where the secret one is needed, no server key for a
  # connecting socket); the message names the file or option at fault.
  class CertificateError < Error; end

  # A callback failed; the loop went on.
  class CallbackError < Error; end

  # The node or pool stopped first (or the node was closed).
  class Stopped < Error; end

  # The task was cancelled.
  class Cancelled < Error; end

  # The task's worker died under it too many times: it is quarantined as poison.
  class WorkerLost < Error; end

  # No connected worker can run the task.
  class NoWorkerForTask < Error; end

  # A running node was used from another thread than its loop's (use Node#post), or from
  # code that runs inside one of its own methods (a map's Enumerator).
  class WrongThread < Error; end

  # A received message's head names a class that is neither the route's message class nor a
  # subclass of it (the original gem's error; Ruby only).
  class WrongMessageClassError < Error; end
end
