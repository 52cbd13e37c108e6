# frozen_string_literal: true

module DripDrop
  # EM.defer for a node: Ruby threads run the operations, and the callbacks run on the node's
  # loop thread. Threads start on the first defer.
  #
  # Waking a thread costs more than a trivial operation (two GVL hand-overs), so both ways
  # wake as little as they can:
  # - operations wait in one list, and a defer wakes a sleeping thread only when no thread is
  #   awake to take it already; a thread that takes an operation and leaves more behind wakes
  #   the next one. So every operation still finds a thread at once (an operation that blocks
  #   has the next taken by another thread, up to the pool's size at once), but a burst of
  #   defers wakes one thread, not one each;
  # - finished operations wait in one list that the loop drains in one go, woken once per
  #   batch (as EventMachine does), not once per operation.
  # Both lists hold their entries flat (three slots each), and a thread takes an operation into
  # a slot of its own, so an operation allocates no Array on the way.
  class DeferPool
    def initialize(native, size)
      @native = native
      @size = size
      @threads = nil
      @lock = Mutex.new
      @wake = ConditionVariable.new
      # op, callback, errback, op, callback, errback...
      @jobs = []
      # Threads waiting on @wake, and how many of them were signalled and will come back to
      # look at @jobs (so a defer need not wake another).
      @sleeping = 0
      @signaled = 0
      @closed = false
      # block, result, error, block, result, error...
      @done = []
      @drain = method(:drain).to_proc
    end

    def push(op, callback, errback)
      @threads ||= Array.new(@size) { |i| start_thread(i) }
      @lock.synchronize do
        @jobs.push(op, callback, errback)
        # Every other thread runs an operation, sleeps, or was signalled: one signalled
        # takes this; else wake one (none asleep: the first to finish its operation takes it).
        wake_one if @signaled.zero?
      end
    end

    def stop
      return unless @threads

      @lock.synchronize do
        @closed = true
        @wake.broadcast
      end
      @threads.each { |t| t.join(2) }
      @threads = nil
    end

    private

    def start_thread(index)
      Thread.new do
        Thread.current.name = "dripdrop-defer-#{index}"
        work
      end
    end

    # A thread's life: an operation, its result handed on and the next one taken under one
    # lock, until the pool stops.
    def work
      # The thread's one slot for the operation it takes, filled again for each.
      job = Array.new(3)
      taken = @lock.synchronize { take(job) }
      while taken
        op, block, errback = job
        error = nil
        begin
          result = op.call
        rescue StandardError => e
          block = errback
          result = nil
          error = e
        end
        first = false
        taken = @lock.synchronize do
          first = @done.push(block, result, error).size == 3
          # The loop must hear of this result before the thread may sleep.
          take(job, wait: !first)
        end
        next unless first

        wake_loop
        taken ||= @lock.synchronize { take(job) }
      end
    end

    # With the lock held: signals a sleeping thread not signalled yet, if there is one.
    def wake_one
      return unless @sleeping > @signaled

      @signaled += 1
      @wake.signal
    end

    # With the lock held: puts the next operation in +job+ (op, callback, errback) and returns
    # true, sleeping until there is one (unless +wait+ is false); false once the pool is
    # stopped and none is left.
    def take(job, wait: true)
      while @jobs.empty?
        return false if @closed || !wait

        @sleeping += 1
        @wake.wait(@lock)
        @sleeping -= 1
        @signaled -= 1 if @signaled.positive?
      end
      job[0] = @jobs.shift
      job[1] = @jobs.shift
      job[2] = @jobs.shift
      # More are left and this thread goes to run its own: the next one goes to another.
      wake_one if !@jobs.empty? && @signaled.zero?
      true
    end

    # The list of finished operations was empty: the loop needs a drain (later ones find it
    # on its way).
    def wake_loop
      @native.post(@drain)
    rescue DripDrop::Stopped
      nil # the node was closed: nobody is left to tell
    end

    # On the loop's thread: the callbacks finished so far, in one go. One that raises goes to
    # on_error (by raising out of here) after the rest are handed back to a fresh drain.
    def drain
      batch = @lock.synchronize do
        taken = @done
        @done = []
        taken
      end
      i = 0
      while i < batch.size
        block = batch[i]
        result = batch[i + 1]
        error = batch[i + 2]
        i += 3
        begin
          if error
            raise error unless block

            block.call(error)
          else
            block&.call(result)
          end
        rescue Exception # rubocop:disable Lint/RescueException -- re-raised below
          requeue(batch, i)
          raise
        end
      end
    end

    # Puts the entries of +batch+ from +from+ back ahead of those finished since, for a fresh
    # drain.
    def requeue(batch, from)
      return if from >= batch.size

      first = @lock.synchronize do
        was_empty = @done.empty?
        @done = batch[from..] + @done
        was_empty
      end
      wake_loop if first
    end
  end
end
