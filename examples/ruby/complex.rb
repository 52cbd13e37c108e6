# frozen_string_literal: true

# The original DripDrop "complex" example as a runnable Ruby program, the twin of
# examples/src/bin/complex.rs (same nodelets, routes, messages, flags and output):
#
# - ws_listener serves the page (examples/web/complex, a static_dir) and the JavaScript
#   client (/dripdrop.js, bindings/js/dripdrop.js) and says where the WebSocket is (/config)
#   on an http_server route; holds the browsers' connections (websocket); forwards what each
#   browser sends as a request to the coordinator (zmq_xreq) and sends the reply back to that
#   browser; broadcasts every tick the coordinator publishes (zmq_subscribe) to every browser.
# - coordinator answers those requests (zmq_xrep) by asking the service over HTTP
#   (http_client), and publishes a tick every --tick-ms (zmq_publish).
# - service is the web service at the end: an http_server route answering each POST.
#
#   browser <-ws-> ws_listener <-xreq/xrep-> coordinator <-http-> service
#                   ws_listener <-sub/pub--- coordinator (tick)
#
#   ruby examples/ruby/complex.rb [--seconds N] [--http ADDR] [--ws ADDR] [--public DIR]
#                                 [--tick-ms MS]
#   (with the gem installed; in the repository, ruby -Ibindings/ruby/lib after
#   script/dev-build). Open the page it prints; it serves until Ctrl-C, or for --seconds.

require "dripdrop"
require "optparse"

$stdout.sync = true

ROOT = File.expand_path("../..", __dir__)
CLIENT_JS = File.join(ROOT, "bindings", "js", "dripdrop.js")

config = {
  http: "http://127.0.0.1:0", ws: "ws://127.0.0.1:0/ws", requests: "tcp://127.0.0.1:*",
  ticks: "tcp://127.0.0.1:*", service: "http://127.0.0.1:0/", tick_ms: 1000, seconds: nil,
  public: File.join(ROOT, "examples", "web", "complex")
}
OptionParser.new do |o|
  o.banner = "usage: complex.rb [options]"
  o.on("--http ADDR", "where the page and the JavaScript client are served (#{config[:http]})") { |a| config[:http] = a }
  o.on("--ws ADDR", "where browsers connect (#{config[:ws]})") { |a| config[:ws] = a }
  o.on("--requests ADDR", "the coordinator's requests route (#{config[:requests]})") { |a| config[:requests] = a }
  o.on("--ticks ADDR", "the coordinator's ticks (#{config[:ticks]})") { |a| config[:ticks] = a }
  o.on("--service ADDR", "the web service (#{config[:service]})") { |a| config[:service] = a }
  o.on("--tick-ms MS", Integer, "time between ticks, in milliseconds (1000)") { |ms| config[:tick_ms] = ms }
  o.on("--seconds N", Float, "stop after N seconds (default: serve until stopped)") { |n| config[:seconds] = n }
  o.on("--public DIR", "the folder of the page (examples/web/complex)") { |d| config[:public] = d }
end.parse!

# The three nodelets in one node: the service first, then the coordinator that posts to it,
# then the listener that connects to the coordinator, each finding the others' endpoints.
class ComplexExample < DripDrop::Node
  def initialize(config)
    super()
    @config = config
  end

  def action
    service = nodelet(:service, Service) do |n|
      n.route :service, :http_server, @config[:service]
      puts "service: answering on #{n.service.address}"
    end
    coordinator = nodelet(:coordinator, Coordinator, @config[:tick_ms]) do |n|
      n.route :broadcast_out, :zmq_publish, @config[:ticks], :bind
      n.route :reqs_in, :zmq_xrep, @config[:requests], :bind
      n.route :reqs_htout, :http_client, service.service.address, request_timeout: 10
      puts "coordinator: ticks on #{n.broadcast_out.address}, requests on #{n.reqs_in.address}"
    end
    nodelet(:ws_listener, WSListener) do |n|
      n.route :ws, :websocket, @config[:ws]
      n.route :web, :http_server, @config[:http], static_dir: @config[:public]
      n.route :broadcast_in, :zmq_subscribe, coordinator.broadcast_out.address, :connect
      n.route :reqs_out, :zmq_xreq, coordinator.reqs_in.address, :connect, request_timeout: 15
      puts "ws_listener: browsers connect to #{n.ws.address}"
      puts "ws_listener: open #{n.web.address}?ws=#{n.ws.address}"
    end
    nodelets.each_value(&:run)
  end
end

# The web service at the end.
class Service < DripDrop::Node::Nodelet
  def run
    service.on_receive do |request, response|
      said = request.body.is_a?(String) ? request.body : "(not text)"
      puts "service <- #{said}"
      response.send_message(name: "service.reply", body: "the service heard: #{said}")
    end
  end
end

# Proxies the listener's requests to the service and publishes the ticks.
class Coordinator < DripDrop::Node::Nodelet
  def configure(tick_ms)
    @tick_ms = tick_ms
  end

  def run
    # Each request goes on to the service; its answer (or why none came) goes back.
    reqs_in.on_receive do |request, response|
      reqs_htout.send_message(request) do |answer, error|
        response.send_message(error ? { name: "error", body: error.message } : answer)
      end
    end
    every([@tick_ms, 1].max / 1000.0) do
      broadcast_out.send_message(name: "tick", body: Time.now.to_f)
    end
  end
end

# The browsers' side.
class WSListener < DripDrop::Node::Nodelet
  def run
    # The page's other requests: the JavaScript client, and where the WebSocket is.
    web.on_receive do |request, response|
      case request.name
      when "/dripdrop.js" then response.send_file(CLIENT_JS)
      when "/config" then response.send_message(name: "config", body: ws.address)
      else response.send_status(404, name: "not_found")
      end
    end
    ws.on_open do |conn|
      puts "ws_listener: browser #{conn.signature} connected"
      conn.send_message(name: "hello", body: conn.signature)
    end
    ws.on_close { |conn| puts "ws_listener: browser #{conn.signature} left" }
    ws.on_error { |reason, conn| puts "ws_listener: browser #{conn.signature}: #{reason}" }
    # What a browser sends goes to the coordinator as a request; the reply goes back to that
    # browser alone.
    ws.on_receive do |message, conn|
      puts "ws_listener <- browser #{conn.signature}: #{message.name}"
      reqs_out.send_message(message) do |reply, error|
        reply = DripDrop::Message.new("error", body: error.message) if error
        begin
          conn.send_message(reply)
        rescue DripDrop::ConnectionError
          nil # the browser left meanwhile: nobody to tell
        end
      end
    end
    # Every tick goes to every browser.
    broadcast_in.on_receive { |tick| ws.broadcast(tick) }
  end
end

node = ComplexExample.new(config)
node.after(config[:seconds]) { node.stop } if config[:seconds]
node.start!
