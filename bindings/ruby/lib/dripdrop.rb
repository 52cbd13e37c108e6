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
require "dripdrop/version"
require "dripdrop/codec"
require "dripdrop/certificate"
require "dripdrop/node"
