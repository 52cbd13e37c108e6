# frozen_string_literal: true

# DripDrop: message-passing apps on ZeroMQ, from Ruby.
#
# Named routes over ZeroMQ sockets, one message format (BERT), one reactor loop per node, and
# a worker pool; the same engine (Rust) as the Python package and the C library, so nodes in
# any of them talk to each other.
#
#   require 'dripdrop'
#
#   node = DripDrop::Node.new do
#     route :out, :zmq_push, 'tcp://127.0.0.1:*', :bind
#     route :inbox, :zmq_pull, out.address, :connect
#     inbox.on_receive { |msg| puts msg.body; stop }
#     out.send_message(name: 'hello', body: [1, 2])
#   end
#   node.start!
module DripDrop
end

require "dripdrop/version"
require "dripdrop/error"
require "dripdrop/tuple"
require "dripdrop/message"
require "dripdrop/dripdrop_native"
require "dripdrop/timer"
require "dripdrop/route"
require "dripdrop/task_threads"
require "dripdrop/defer_pool"
require "dripdrop/pool"
require "dripdrop/nodelet"
require "dripdrop/node"
require "dripdrop/worker"

module DripDrop
  # Any value as BERT (what a route would put on the wire for it).
  def self.encode(value)
    Native.encode(value)
  end

  # BERT bytes as a Ruby value.
  def self.decode(bytes)
    Native.decode(bytes)
  end
end
