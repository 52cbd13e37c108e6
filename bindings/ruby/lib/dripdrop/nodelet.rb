# frozen_string_literal: true

module DripDrop
  class Node
    # A named part of a node: its routes and handlers (see Node#nodelet), as in the original
    # gem. Subclass it: +configure+ gets the extra arguments given to +nodelet+, +action+ sets
    # the nodelet up when +nodelet+ gets no block, and +run+ is a convention for the app to
    # call (the original README calls nodelets.each_value { |n| n.run }). Anything it does not
    # know goes to the node.
    class Nodelet
      attr_accessor :name, :routing
      attr_reader :node

      # Called by Node#nodelet; subclasses set themselves up in +configure+, not here.
      def initialize(node, name, *configure_args)
        @node = node
        @name = name
        @routing = {}
        configure(*configure_args)
      end

      # Gets the extra arguments of Node#nodelet, once, when the nodelet is made.
      def configure(*args); end

      # Sets the nodelet up when Node#nodelet gets no block.
      def action; end

      # Starts the nodelet's work, when the app calls it (the node never does).
      def run; end

      # Defines a route of the node that belongs to this nodelet: reachable here by +name+
      # and on the node as "#{nodelet}_#{name}" (the original gem's naming, so two nodelets
      # may each have a route of the same name).
      def route(name, kind, *args, **opts)
        route = @node.route_full(self, name, kind, *args, **opts)
        @routing[name.to_sym] = route
        define_singleton_method(name) { route }
        route
      end

      def method_missing(name, *args, **opts, &block)
        return super unless @node.respond_to?(name)

        @node.public_send(name, *args, **opts, &block)
      end

      def respond_to_missing?(name, include_private = false)
        @node.respond_to?(name) || super
      end
    end
  end

  # The name this gem gave Node::Nodelet before; the same class.
  Nodelet = Node::Nodelet
end
