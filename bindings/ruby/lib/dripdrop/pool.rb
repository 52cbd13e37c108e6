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
    # DripDrop::RemoteError (its class, message and backtrace), and any other failure
    # (DripDrop::TimeoutError, DripDrop::Cancelled...) as itself: passed to +errback+, or to a
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
    # and memory stays flat. The block gets each item's outcome as it comes:
    #
    #   { |index, result, error| }   three parameters (or a splat): every outcome, the error
    #                                (nil on success) here
    #   { |result, index| }          two, as this gem always had: results only
    #   { |result| }                 one: results only
    #
    # With one or two parameters (or no block), a task's error goes to the node's on_error.
    # An item the Enumerable cannot produce (it raises) ends the submitting: the items before
    # it still run and come back, its exception goes to on_error. +done+ is called after the
    # last outcome.
    def map(task, items, done: nil, &block)
      @native.pool_map(@name, task.to_s, items.to_enum(:each), Pool.item_handler(block),
                       done || -> {})
    end

    # Gives up on a task (its block gets DripDrop::Cancelled); false if it finished.
    def cancel(id)
      @native.pool_cancel(@name, id)
    end

    # The pool's counters.
    def stats
      @native.pool_stats(@name)
    end

    # A defer's callback and errback as the engine calls them: (result, error).
    def self.result_handler(callback, errback)
      return callback if callback && (callback.arity >= 2 || callback.arity < -1)

      lambda do |result, error|
        if error
          raise error unless errback

          errback.call(error)
        else
          callback&.call(result)
        end
      end
    end

    # A map's block as the engine calls it: (index, result, error).
    def self.item_handler(block)
      count = block ? Pool.parameter_count(block) : 0
      return block if count >= 3

      lambda do |index, result, error|
        raise error if error
        return block&.call(result) if count < 2

        block.call(result, index)
      end
    end

    # How many arguments a block takes, a splat counting as any number.
    def self.parameter_count(block)
      kinds = block.parameters.map(&:first)
      return Float::INFINITY if kinds.include?(:rest)

      kinds.count { |kind| kind == :req || kind == :opt }
    end
  end
end
