# frozen_string_literal: true

module DripDrop
  # EM.defer for a node: Ruby threads run the operations, and the callbacks run on the node's
  # loop thread (posted to it). Threads start on the first defer.
  class DeferPool
    def initialize(native, size)
      @native = native
      @size = size
      @queue = Thread::Queue.new
      @threads = nil
    end

    def push(op, callback, errback)
      @threads ||= Array.new(@size) { |i| start_thread(i) }
      @queue << [op, callback, errback]
    end

    def stop
      return unless @threads

      @queue.close
      @threads.each { |t| t.join(2) }
      @threads = nil
    end

    private

    def start_thread(index)
      Thread.new do
        Thread.current.name = "dripdrop-defer-#{index}"
        while (job = @queue.pop)
          run(*job)
        end
      end
    end

    def run(op, callback, errback)
      result = op.call
      @native.post(-> { callback&.call(result) })
    rescue StandardError => e
      begin
        @native.post(-> { errback ? errback.call(e) : raise(e) })
      rescue DripDrop::Stopped
        nil # the node was closed: nobody is left to tell
      end
    end
  end
end
