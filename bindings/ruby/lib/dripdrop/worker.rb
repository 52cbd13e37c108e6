# frozen_string_literal: true

require "dripdrop/native"
require "dripdrop/task"
require "dripdrop/task_threads"

module DripDrop
  # A worker process for a pool on any machine:
  #
  #   worker = DripDrop::Worker.new('tcp://control-host:2100', concurrency: 4)
  #   worker.task(:fetch) { |args| Net::HTTP.get_response(URI(args['url'])).code.to_i }
  #   worker.start!   # until Ctrl-C or stop; reconnects if the pool goes away
  #
  # Tasks run on +concurrency+ Ruby threads; heartbeats run on a Rust thread, so a long
  # task never makes the worker look dead.
  class Worker
    # Options are core's worker options: concurrency (tasks at once; the machine's CPUs when
    # not given), heartbeat (seconds), liveness, reconnect_min, reconnect_max (seconds), name,
    # max_frame_bytes, curve (CURVE to the pool: a route's curve forms, the worker being the
    # connecting side, e.g. curve: { certificate: "keys/worker.key_secret",
    # server_certificate: "keys/server.key" }).
    def initialize(address, **options)
      @native = Native::Worker.new(Array(address).map(&:to_s), options)
      @concurrency = @native.concurrency
      @handlers = {}
      @threads = nil
    end

    # Registers a task: the block gets the task's arguments (and, if it takes two, the task:
    # a DripDrop::Task).
    def task(name, &block)
      raise ArgumentError, "task needs a block" unless block

      @handlers[name.to_s] = block
      @native.task(name.to_s)
      self
    end

    # Connects and serves in the background; +join+ waits.
    def start
      @threads = TaskThreads.start(@native.queue, @handlers, @concurrency, "dripdrop-task")
      @native.start
      self
    end

    # Serves until +stop+ (from another thread) or Ctrl-C, which is raised here.
    def start!
      start
      join
    end

    # Waits for the worker to end; an interrupt (Ctrl-C, Timeout) stops it first.
    def join
      nil until @native.wait(0.1)
      self
    rescue Exception # rubocop:disable Lint/RescueException -- stop the worker, then re-raise
      stop
      @native.wait(5)
      raise
    ensure
      TaskThreads.stop(@native.queue, @threads) if @threads && !running?
    end

    # Says DISCONNECT to the pool and ends (from any thread).
    def stop
      @native.stop
    end

    private

    def running?
      !@native.wait(0)
    end
  end
end
