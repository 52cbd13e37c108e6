# frozen_string_literal: true

# The original DripDrop's complex example as a runnable program, the Ruby twin of
# examples/src/bin/complex.rs: browsers talk to a websocket route (ws_listener); what they
# ask goes over xreq/xrep to a coordinator, which asks a service over HTTP (an http_client
# route to the service nodelet's http_server route) and the answer comes back the same way;
# the coordinator publishes a tick every second, which ws_listener broadcasts to every
# browser. A web nodelet serves the page (examples/web/complex/, a static_dir), /dripdrop.js
# (bindings/js/dripdrop.js) and /config (the websocket's address, for the page).
#
#   ruby examples/ruby/complex.rb [--seconds N] [--port P] [--page DIR]
#                                 (with the gem installed; in the repository,
#                                  ruby -Ibindings/ruby/lib after script/dev-build)
#
# It prints each address it bound ("page: http://127.0.0.1:PORT/" first: open it), then what
# it does; it stops after --seconds (runs until Ctrl-C without).

require "dripdrop"
require "optparse"

$stdout.sync = true

ROOT = File.expand_path("../..", __dir__)
PAGE_DIR = File.join(ROOT, "examples", "web", "complex")
DRIPDROP_JS = File.join(ROOT, "bindings", "js", "dripdrop.js")

options = { seconds: nil, port: 0, page: PAGE_DIR }
OptionParser.new do |o|
  o.banner = "usage: complex.rb [--seconds N] [--port P] [--page DIR]"
  o.on("--seconds N", Float, "stop after N seconds (default: run until Ctrl-C)") { |n| options[:seconds] = n }
  o.on("--port P", Integer, "the page's port (default: one the system picks)") { |p| options[:port] = p }
  o.on("--page DIR", "the folder the page is served from (default: #{PAGE_DIR})") { |d| options[:page] = d }
end.parse!

# The whole app in one node; each nodelet could run in a process of its own, given the
# addresses the others printed.
class ComplexExample < DripDrop::Node
  def initialize(page_port, page_dir)
    super()
    @page_port = page_port
    @page_dir = page_dir
  end

  def action
    service = nodelet(:service, Service) { |n| n.route :api, :http_server, "http://127.0.0.1:*/api" }
    coordinator = nodelet :coordinator, Coordinator do |n|
      n.route :broadcast_out, :zmq_publish, "tcp://127.0.0.1:*", :bind
      n.route :reqs_in,       :zmq_xrep,    "tcp://127.0.0.1:*", :bind
      n.route :reqs_htout,    :http_client, service.api.address
    end
    ws_listener = nodelet :ws_listener, WSListener do |n|
      n.route :ws,           :websocket,     "ws://127.0.0.1:*/"
      n.route :broadcast_in, :zmq_subscribe, coordinator.broadcast_out.address, :connect
      n.route :reqs_out,     :zmq_xreq,      coordinator.reqs_in.address, :connect
    end
    web = nodelet(:web, Web, ws_listener.ws.address) do |n|
      n.route :page, :http_server, "http://127.0.0.1:#{@page_port}/", static_dir: @page_dir
    end
    puts "page: #{web.page.address}"
    puts "websocket: #{ws_listener.ws.address}"
    puts "service: #{service.api.address}"
    puts "ticks: #{coordinator.broadcast_out.address}"
    puts "requests: #{coordinator.reqs_in.address}"
    nodelets.each_value(&:run)
  end
end

# Answers the coordinator's requests over HTTP.
class Service < DripDrop::Node::Nodelet
  def run
    api.on_receive do |message, response|
      puts "service: answering #{message.name}"
      response.send_message(name: message.name, body: { "asked" => message.body, "answered_at" => Time.now.to_s })
    end
  end
end

# Publishes the ticks and proxies browsers' requests to the service.
class Coordinator < DripDrop::Node::Nodelet
  def run
    reqs_in.on_receive do |message, response|
      reqs_htout.send_message(message) do |answer, error|
        # A failed ask is answered too, so the browser is not left waiting.
        response.send_message(error ? { name: "error", body: error.message } : answer)
      end
    end
    every(1) { broadcast_out.send_message(name: "tick", body: Time.now.to_s) }
  end
end

# The browsers' side: each gets the ticks, and its requests answered.
class WSListener < DripDrop::Node::Nodelet
  def run
    ws.on_open do |conn|
      puts "browser #{conn.signature} connected"
      conn.send_message(name: "welcome", body: conn.signature)
    end
    ws.on_close { |conn| puts "browser #{conn.signature} left" }
    ws.on_error { |reason, conn| puts "browser #{conn.signature}: #{reason}" }
    ws.on_receive do |message, conn|
      puts "browser #{conn.signature} asks #{message.name}"
      reqs_out.send_message(message) { |answer| conn.send_message(answer) }
    end
    broadcast_in.on_receive { |tick| ws.broadcast(tick) }
  end
end

# The page's own requests: the script and the websocket's address (the page's files come
# from static_dir without reaching here).
class Web < DripDrop::Node::Nodelet
  def configure(ws_address)
    @ws_address = ws_address
  end

  def run
    page.on_receive do |message, response|
      case message.head["http_path"]
      when "/dripdrop.js" then response.send_file(DRIPDROP_JS)
      when "/config" then response.send_message(name: "config", body: { "ws" => @ws_address })
      else response.send_status(404, name: "not_found", body: message.head["http_path"])
      end
    end
  end
end

node = ComplexExample.new(options[:port], options[:page])
node.after(options[:seconds]) { node.stop } if options[:seconds]
node.start!
puts "done"
