# frozen_string_literal: true

module DripDrop
  # A worker pool of a node: +defer+ and +map+ named tasks on its local threads or remote
  # workers. Results come back on the node's loop thread.
  class Pool
    NO_ARGS = Object.new.freeze
    private_constant :NO_ARGS

    attr_reader :name, :endpoints

    def initialize(native, name, endpoints)
      @native = native
      @name = name
      @endpoints = endpoints
    end

    # The address remote workers connect to (nil for a local-only pool).
    def endpoint
      @endpoints.first
    end
    alias address endpoint

    # Runs task +task+ with +args+; the block gets the result. A task's exception arrives as
    # DripDrop::RemoteError (its class, message and backtrace): passed to +errback+, or to a
    # block taking (result, error), else raised into the node's on_error. Past the pool's
    # +max_pending+ raises DripDrop::Backpressure. Returns the task's id (for +cancel+).
    #
    # A braceless Hash is the task's arguments, as in pool.defer(:fetch, 'url' => url):
    # only the keys :timeout and :errback are read as options.
    def defer(task, args = NO_ARGS, **options, &callback)
      timeout = options.delete(:timeout)
      errback = options.delete(:errback)
      unless options.empty?
        raise ArgumentError, "unknown options #{options.keys.inspect}" unless args.equal?(NO_ARGS)

        args = options
      end
      args = nil if args.equal?(NO_ARGS)
      @native.pool_defer(@name, task.to_s, args, timeout, Pool.result_handler(callback, errback))
    end

    # Runs +task+ once per item of +items+ (any Enumerable, endless ones too), submitting
    # items only as results free room, so the producer goes exactly as fast as the workers
    # and memory stays flat. The block gets (result, index) or (result, index, error) as
    # each comes; +done+ is called after the last.
    def map(task, items, done: nil, &block)
      on_result =
        if block.nil?
          ->(_index, _result, error) { raise error if error }
        elsif block.arity >= 3 || block.arity < -1
          ->(index, result, error) { block.call(result, index, error) }
        else
          lambda do |index, result, error|
            raise error if error

            block.call(result, index)
          end
        end
      @native.pool_map(@name, task.to_s, items.to_enum(:each), on_result, done || -> {})
    end

    # Gives up on a task (its block gets DripDrop::Cancelled); false if it finished.
    def cancel(id)
      @native.pool_cancel(@name, id)
    end

    # The pool's counters.
    def stats
      @native.pool_stats(@name)
    end

    def self.result_handler(callback, errback)
      if callback && (callback.arity >= 2 || callback.arity < -1)
        callback
      else
        lambda do |result, error|
          if error
            raise error unless errback

            errback.call(error)
          else
            callback&.call(result)
          end
        end
      end
    end
  end
end
