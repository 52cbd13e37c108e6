# frozen_string_literal: true

module DripDrop
  # EM.defer for a node: Ruby threads run the operations, and the callbacks run on the node's
  # loop thread. Finished operations wait in one list that the loop drains in one go, woken
  # once per batch (as EventMachine does), not once per operation. Threads start on the first
  # defer.
  class DeferPool
    def initialize(native, size)
      @native = native
      @size = size
      @queue = Thread::Queue.new
      @threads = nil
      @done = []
      @lock = Mutex.new
      @drain = method(:drain).to_proc
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
      finished(callback, op.call, nil)
    rescue StandardError => e
      finished(errback, nil, e)
    end

    # Queues a callback for the loop, waking it when the list was empty (else a drain is on
    # its way already).
    def finished(block, result, error)
      first = @lock.synchronize { @done.push([block, result, error]).size == 1 }
      @native.post(@drain) if first
    rescue DripDrop::Stopped
      nil # the node was closed: nobody is left to tell
    end

    # On the loop's thread: each callback in turn. One that raises goes to on_error (by
    # raising out of here) after the rest are handed to a fresh drain.
    def drain
      while (entry = @lock.synchronize { @done.shift })
        block, result, error = entry
        begin
          if error
            raise error unless block

            block.call(error)
          else
            block&.call(result)
          end
        rescue Exception # rubocop:disable Lint/RescueException -- re-raised below
          @native.post(@drain) unless @lock.synchronize { @done.empty? }
          raise
        end
      end
    end
  end
end
