# frozen_string_literal: true

# The original gem's programs start with require 'dripdrop/node': this file loads everything
# a node uses.
require "dripdrop/native"
require "dripdrop/message"
require "dripdrop/timer"
require "dripdrop/route"
require "dripdrop/connection"
require "dripdrop/task"
require "dripdrop/task_threads"
require "dripdrop/defer_pool"
require "dripdrop/pool"
require "dripdrop/nodelet"
require "dripdrop/worker"

module DripDrop
  # A DripDrop node: routes, timers, defer and worker pools on one reactor loop.
  #
  # Give the set-up as a block (run with the node as self, like the original gem) or
  # subclass and define +action+:
  #
  #   class Echo < DripDrop::Node
  #     def action
  #       route :requests, :zmq_xrep, 'tcp://127.0.0.1:2300', :bind
  #       requests.on_receive { |msg, response| response.send_message(msg) }
  #     end
  #   end
  #   Echo.new.start!
  #
  # A node may also be set up from outside (routes, timers, pools) and started with neither.
  # Callbacks run on the thread running the loop (+start!+'s caller, or +start+'s thread).
  # While it runs, other threads reach the node through +post+ and +stop+ only.
  class Node
    # The route kinds. Each is also a method making a route without a name, as in the
    # original gem: zmq_pull(address, :connect).on_receive { |message| },
    # http_server('tcp://127.0.0.1:8080').on_receive { |message, response| }.
    ROUTE_KINDS = %i[zmq_publish zmq_subscribe zmq_push zmq_pull zmq_xrep zmq_xreq zmq_req
                     zmq_rep zmq_pair http_server http_client websocket websocket_server].freeze

    # The web kinds' modes, implied by the kind: a server binds, a client connects. The
    # original gem's programs give them no socket_ctype.
    WEB_MODES = { "http_server" => :bind, "http_client" => :connect, "websocket" => :bind,
                  "websocket_server" => :bind }.freeze

    class << self
      # Registers a task for this class's pools' local threads and for its workers
      # (MyNode.worker): the block gets the task's arguments (and, if it takes two, the task:
      # a DripDrop::Task).
      def task(name, &block)
        raise ArgumentError, "task needs a block" unless block

        own_tasks[name.to_s] = block
      end

      # The tasks of this class and its ancestors.
      def tasks
        inherited = superclass.respond_to?(:tasks) ? superclass.tasks : {}
        inherited.merge(own_tasks)
      end

      # A worker serving this class's tasks to the pool at +address+, on any machine:
      # MyNode.worker('tcp://control:2100', concurrency: 16).start!
      def worker(address, **options)
        worker = Worker.new(address, **options)
        tasks.each { |name, block| worker.task(name, &block) }
        worker
      end

      private

      def own_tasks
        @own_tasks ||= {}
      end
    end

    attr_reader :routing, :nodelets, :run_list
    # The original gem's debug flag (option :debug): kept, not used.
    attr_accessor :debug

    # Options (symbol or string keys): +run_list+ (names of the nodelets to set up; all
    # without one), and core's node options: +defer_threads+ (threads of +defer+),
    # +stop_linger+ (seconds), +receive_batch+; +control+, +role+, +heartbeat+ (reporting
    # to a control server, docs/control.md) and +control_curve+ (CURVE on that backchannel:
    # the forms of a route's +curve+); core's defaults for what is not given.
    def initialize(opts = {}, &block)
      opts = opts.transform_keys(&:to_sym)
      @debug = opts.delete(:debug)
      @block = block
      @native = Native::Node.new(opts)
      # The engine's run list: the option, else the launcher's DRIPDROP_RUN_LIST.
      @run_list = @native.run_list&.map(&:to_sym)
      @routing = {}
      @pools = {}
      @nodelets = {}
      @setting_up = nil
      @unnamed_routes = 0
      @task_handlers = {}
      @task_threads = []
      @recipients_for = {}
      @defer = DeferPool.new(@native, @native.defer_threads)
      @acted = false
      @thread = nil
      @native.on_error(method(:error_handler).to_proc)
    end

    # The node's set-up: the block given to +new+, run with the node as self. Subclasses
    # define their own. Without either it raises, as in the original gem (+start+ does not
    # call it then: a node set up from outside starts as it is).
    def action
      unless @block
        raise Error, "Could not start, no block or action specified: give DripDrop::Node.new " \
                     "a block, or define action in a subclass"
      end

      instance_eval(&@block)
    end

    # Runs the loop on this thread until +stop+ (first running +action+). Ctrl-C, Timeout
    # and Thread#kill stop it promptly and raise here.
    def start!
      act
      @native.run
      self
    end

    # Runs +action+ here, then the loop on a new thread; +join+ waits for it.
    def start
      act
      @thread = Thread.new do
        Thread.current.name = "dripdrop-node"
        @native.run
      end
      self
    end

    # Waits for the loop started by +start+ to end.
    def join
      raise Error, "Can't join on a node that isn't yet started" unless @thread

      @thread.join
      self
    end

    # Stops the loop (from any thread): it stops reading and firing timers, flushes queued
    # sends, and +start!+ (or +join+) returns.
    def stop
      @native.stop
    end

    def running?
      @native.running?
    end

    # Defines route +name+: a ZeroMQ socket of +kind+ (see ROUTE_KINDS) bound or connected
    # (+socket_ctype+ :bind, the default, or :connect) to one address or an Array of them; a
    # web kind's mode is its own (see WEB_MODES) when no socket_ctype is given. The route is
    # returned and reachable as a method of the node. Options: +message_class+ (received
    # messages' class; DripDrop.default_message_class when not given), and core's route
    # options: topic_filter (a String prefix or a Regexp), raw (true: frames untouched, for
    # peers that do not speak DripDrop; or msg_format: :raw), send_hwm, recv_hwm, linger,
    # identity, reconnect_ivl, reconnect_ivl_max, send_queue, request_timeout (seconds),
    # max_frame_bytes (the largest frame a peer may send, 64 MiB by default: libzmq
    # disconnects a peer that sends a larger one, and messages are decoded within the same
    # limit), curve (CURVE, ZeroMQ kinds only: nil takes the environment's
    # DRIPDROP_CURVE_DIR, false is plain text, a String is a directory of that layout, or a
    # Hash: certificate (this side's .key_secret file) or secret_key, server_certificate (a
    # file) or server_key on a connecting route, allowed (a directory of admitted client
    # certificates) on a binding one; see docs/security.md); for web kinds also
    # max_connections, max_header_bytes, header_timeout and idle_timeout (seconds),
    # static_dir (http_server: a folder served for GETs).
    def route(name, kind, address, socket_ctype = nil, opts = {}, **kwopts)
      route_full(nil, name, kind, address, socket_ctype, opts, **kwopts)
    end

    # +route+ for a nodelet (Nodelet#route calls it; nil: the node's own): the node's method
    # for it is "#{nodelet.name}_#{name}", as in the original gem.
    def route_full(nodelet, name, kind, address, socket_ctype = nil, opts = {}, **kwopts)
      if socket_ctype.is_a?(Hash)
        opts = socket_ctype
        socket_ctype = nil
      end
      name = nodelet ? :"#{nodelet.name}_#{name}" : name.to_sym
      if respond_to?(name) && !@routing.key?(name)
        raise ArgumentError, "route name #{name} is taken by a method of #{self.class}"
      end

      route = in_nodelet(nodelet) do
        make_route(name.to_s, kind, address, socket_ctype, opts.merge(kwopts))
      end
      @routing[name] = route
      define_singleton_method(name) { route }
      route
    end

    ROUTE_KINDS.each do |kind|
      define_method(kind) do |address, socket_ctype = nil, opts = {}, **kwopts|
        if socket_ctype.is_a?(Hash)
          opts = socket_ctype
          socket_ctype = nil
        end
        @unnamed_routes += 1
        make_route("#{kind}-#{@unnamed_routes}", kind, address, socket_ctype, opts.merge(kwopts))
      end
    end

    # Sends on the route named +route_name+ (see Route#send_message).
    def send_message(route_name, message, &on_reply)
      route_named(route_name).send_message(message, &on_reply)
    end

    def route_named(name)
      @routing.fetch(name.to_sym) { raise NoSuchRoute, %(no route named "#{name}") }
    end

    # Sets up nodelet +name+ unless the run list leaves it out (then it returns nil): an
    # instance of +klass+ (a Node::Nodelet) made once, with +configure_args+ going to its
    # +configure+, and reachable as a method of the node named +name+. Calls the block with
    # the nodelet if given, else the nodelet's +action+; never its +run+, which is the app's
    # to call. Routes it makes belong to it (node.stats names the nodelet of each route).
    def nodelet(name, klass = Nodelet, *configure_args, &block)
      name = name.to_sym
      return nil if @run_list && !@run_list.include?(name)

      made = @nodelets[name] ||= klass.new(self, name, *configure_args)
      define_singleton_method(name) { made } unless respond_to?(name)
      in_nodelet(made) { block ? block.call(made) : made.action }
      made
    end

    # Calls the block every +seconds+ (a Float); returns a Timer.
    def every(seconds, &block)
      Timer.new(self, @native.every(seconds.to_f, block))
    end
    alias periodical_timer every

    # Calls the block once after +seconds+; returns a Timer.
    def after(seconds, &block)
      Timer.new(self, @native.after(seconds.to_f, block))
    end
    alias timer after

    # Calls the block at the loop's next turn; returns a Timer.
    def next_tick(&block)
      Timer.new(self, @native.next_tick(block))
    end

    def cancel_timer(timer)
      @native.cancel_timer(timer.is_a?(Timer) ? timer.id : timer)
    end

    # EM.defer: runs +op+ (or the block) on a pool of Ruby threads, then +callback+ with
    # its result (or +errback+ with its exception; without one it goes to on_error) on the
    # loop's thread.
    def defer(op = nil, callback = nil, errback = nil, &block)
      op ||= block
      raise ArgumentError, "defer needs an operation" unless op

      @defer.push(op, callback, errback)
      nil
    end

    # Runs the block on the loop's thread at its next turn; from any thread.
    def post(&block)
      @native.post(block)
    end

    # Registers a task for this node's pools' local threads (see Node.task).
    def task(name, &block)
      raise ArgumentError, "task needs a block" unless block

      @task_handlers[name.to_s] = block
      @native.task(name.to_s)
    end

    # Starts a worker pool: bound at +address+ for remote workers
    # (worker_pool(:fetchers, 'tcp://0.0.0.0:2100', :bind)), with +local+ threads running
    # this node's tasks (worker_pool(:fetchers, local: 8)), or both (local first, spilling
    # over). Options are core's pool options: local, placement (:local, :remote,
    # :local_first; inferred from the address and local when not given), max_pending,
    # heartbeat, liveness, max_attempts, no_worker_timeout (nil waits for ever), prefetch (nil,
    # the default, adapts it to the tasks), max_worker_credit, lease_timeout (nil for none), max_workers, max_frame_bytes,
    # max_result_elements, curve (CURVE for remote workers: a route's curve forms, the pool
    # being the binding side).
    def worker_pool(name, address = nil, _socket_ctype = :bind, **options)
      name = name.to_s
      options[:bind] = address unless address.nil?
      register_class_tasks
      endpoints, local = @native.worker_pool(name, options)
      if local.positive?
        queue = @native.task_queue
        @task_threads << [queue, TaskThreads.start(queue, @task_handlers, local, "dripdrop-#{name}")]
      end
      @pools[name] = Pool.new(@native, name, endpoints)
    end

    # The worker pool named +name+; DripDrop::NoSuchPool if there is none.
    def pool(name)
      @pools.fetch(name.to_s) { raise NoSuchPool, %(no worker pool named "#{name}") }
    end

    # Every route's (and pool's) counters, as a Hash.
    def stats
      @native.stats
    end

    # Sets the handler of exceptions raised in callbacks and of bad frames received; the
    # loop goes on. The default (+error_handler+) prints class, message and backtrace.
    def on_error(&block)
      @native.on_error(block)
    end

    # The default error handler: the class's (see Node.error_handler); subclasses may
    # override either.
    def error_handler(error)
      self.class.error_handler(error)
    end

    # Prints class, message and backtrace. The original gem's error handler, shared by the
    # nodes of a class.
    def self.error_handler(error)
      warn error.full_message
    end

    # An in-process pub/sub channel (as the original gem): calls every block registered for
    # +dest+ with +data+; false if there are none.
    def send_internal(dest, data)
      blocks = @recipients_for[dest]&.values
      return false if blocks.nil? || blocks.empty?

      blocks.each { |block| block.call(data) }
    end

    # Registers a receiver of +send_internal+ to +dest+, under +identifier+.
    def recv_internal(dest, identifier, &block)
      (@recipients_for[dest] ||= {})[identifier] = block
    end

    def remove_recv_internal(dest, identifier)
      return false unless @recipients_for[dest]

      @recipients_for[dest].delete(identifier)
    end

    # Stops the defer and task threads and closes the sockets now, rather than when the node
    # is collected. A running node is refused (stop it first).
    def close
      raise Error, "the node runs: stop it first" if running?

      @defer.stop
      @task_threads.each { |queue, threads| TaskThreads.stop(queue, threads) }
      @task_threads.clear
      @native.close
    end

    private

    # Runs +action+ once, if there is one to run.
    def act
      return if @acted

      @acted = true
      action if @block || method(:action).owner != Node
    end

    def make_route(name, kind, address, socket_ctype, opts)
      opts = opts.transform_keys(&:to_sym)
      message_class = opts.delete(:message_class) || DripDrop.default_message_class
      socket_ctype ||= WEB_MODES.fetch(kind.to_s, :bind)
      endpoints, raw = @native.route(name, kind.to_s, Array(address).map(&:to_s),
                                     socket_ctype.to_s, opts)
      Route.new(@native, name, kind.to_s, endpoints, message_class, raw)
    end

    # Runs the block with what it makes belonging to +nodelet+ (nil: to none), in the core
    # node's books.
    def in_nodelet(nodelet, &block)
      return yield if nodelet.nil? || @setting_up.equal?(nodelet)

      outer = @setting_up
      @setting_up = nodelet
      begin
        made = nil
        ran = @native.nodelet(nodelet.name.to_s, -> { made = block.call })
        raise Error, "nodelet #{nodelet.name} is not in the run list" unless ran

        made
      ensure
        @setting_up = outer
      end
    end

    # The class's tasks (Node.task) become this node's, for its local threads.
    def register_class_tasks
      self.class.tasks.each do |name, block|
        task(name, &block) unless @task_handlers.key?(name)
      end
    end
  end
end
