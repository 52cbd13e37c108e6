# frozen_string_literal: true

module DripDrop
  # A named group of a node's routes and handlers (see Node#nodelet). Subclass it and set
  # handlers up in +run+; anything it does not know goes to the node.
  class Nodelet
    attr_reader :name, :node, :routing

    def initialize(node, name)
      @node = node
      @name = name
      @routing = {}
    end

    # Defines a route of the node that belongs to this nodelet, reachable as a method here
    # and on the node.
    def route(name, *args, **opts)
      route = @node.route(name, *args, **opts)
      @routing[name.to_sym] = route
      define_singleton_method(name) { route }
      route
    end

    # Called after the nodelet's block has defined its routes.
    def run; end

    def method_missing(name, *args, **opts, &block)
      return super unless @node.respond_to?(name)

      @node.public_send(name, *args, **opts, &block)
    end

    def respond_to_missing?(name, include_private = false)
      @node.respond_to?(name) || super
    end
  end
end
