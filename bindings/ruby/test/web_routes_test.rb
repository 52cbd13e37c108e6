# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"
require_relative "support/web_clients"
require "json"

# The web route kinds from Ruby, against real clients: curl for http_server, an http_client
# route of the same node, and Python's websockets client (a child process) for websocket
# routes. Every address binds port 0 (the route's endpoint says which port it got); every
# wait is on a line, a reply or the node stopping, never a sleep.
class WebRoutesTest < Minitest::Test
  include DripDropTest
  include CrossLanguage
  include WebClients
  parallelize_me!

  def teardown
    kill_all
  end

  # An http_server answering each request with the message it received.
  def echo_server(node)
    server = node.http_server("http://127.0.0.1:*")
    server.on_receive { |message, response| response.send_message(message) }
    server
  end

  def test_an_http_server_answers_curl
    node = DripDrop::Node.new
    server = echo_server(node)
    in_running_node(node) do
      status, body = curl_post(server.address, name: "ping", head: { "k" => 1 }, body: [1, "two"])
      assert_equal 200, status
      reply = JSON.parse(body)
      assert_equal ["ping", [1, "two"], 1], [reply["name"], reply["body"], reply["head"]["k"]]
      # The request came with its HTTP head.
      assert_equal "POST", reply["head"]["http_method"]
    end
  end

  def test_an_http_client_route_asks_an_http_server_route_of_the_same_node
    node = DripDrop::Node.new
    server = echo_server(node)
    client = node.http_client(server.address)
    assert_equal "http_client", client.kind
    replies = []
    client.send_message(DripDrop::Message.new("hello", body: { "n" => 1 })) do |reply|
      replies << reply
      node.stop
    end
    run_node(node)
    assert_equal 1, replies.size
    assert_instance_of DripDrop::Message, replies.first
    assert_equal ["hello", { "n" => 1 }], [replies.first.name, replies.first.body]
  end

  def test_an_http_client_to_nothing_gets_a_connection_error
    node = DripDrop::Node.new
    # A port that was free a moment ago, closed again: nothing listens there.
    port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
    errors = []
    node.http_client("http://127.0.0.1:#{port}/").send_message(name: "x") do |_reply, error|
      errors << error
      node.stop
    end
    run_node(node)
    assert_instance_of DripDrop::ConnectionError, errors.first
  end

  def test_send_status_and_a_handler_that_raises
    node = DripDrop::Node.new
    errors = []
    node.on_error { |e| errors << e }
    server = node.http_server("http://127.0.0.1:*")
    server.on_receive do |message, response|
      raise ArgumentError, "no such tea" if message.name == "raise"

      response.send_status(418, name: "teapot", body: message.body)
    end
    in_running_node(node) do
      status, body = curl_post(server.address, name: "brew", body: "earl grey")
      assert_equal [418, "teapot", "earl grey"], [status, JSON.parse(body)["name"], JSON.parse(body)["body"]]
      # The handler raised: its request is answered 500 at once, not when the collector
      # frees the response it left.
      status, body = curl_post(server.address, name: "raise")
      assert_equal 500, status
      assert_equal "dripdrop.error", JSON.parse(body)["name"]
    end
    assert_instance_of ArgumentError, errors.first
  end

  def test_a_response_answers_once
    node = DripDrop::Node.new
    server = node.http_server("http://127.0.0.1:*")
    second = []
    server.on_receive do |message, response|
      response.send_message(message)
      begin
        response.send_status(200, message)
      rescue DripDrop::Error => e
        second << e
      end
    end
    in_running_node(node) { assert_equal 200, curl_post(server.address, name: "once").first }
    assert_match(/answered already/, second.first.message)
  end

  def test_a_websocket_route_with_a_python_client
    node = DripDrop::Node.new
    ws = node.route(:ws, :websocket, "ws://127.0.0.1:*/socket")
    opened = []
    closed = []
    received = []
    errors = []
    ws.on_open do |conn|
      opened << conn
      conn.send_message(DripDrop::Message.new("hello", body: conn.signature))
    end
    ws.on_receive do |message, conn|
      received << [message, conn]
      conn.send_message(name: "echo", body: message.body)
      ws.broadcast(DripDrop::Message.new("everyone", body: ws.broadcast(name: "count")))
    end
    ws.on_error do |reason, conn|
      errors << [reason, conn]
      conn.close
    end
    ws.on_close do |conn|
      closed << conn
      node.stop
    end
    assert_equal 0, ws.broadcast(name: "nobody")

    client = ws_client(ws.address, <<~PY)
      hello = json.loads(ws.recv(timeout=LIMIT))
      say("hello", hello["name"], hello["body"])
      ws.send(json.dumps({"name": "ping", "head": {}, "body": [1, "x"]}))
      for _ in range(3):
          reply = json.loads(ws.recv(timeout=LIMIT))
          say("got", reply["name"], reply["body"])
      ws.send("not a message")
      wait_closed(ws)
    PY
    sig = nil
    in_running_node(node) do
      sig = client.wait_for_line("hello hello ").to_i
      assert_equal "[1, 'x']", client.wait_for_line("got echo ")
      assert_equal "None", client.wait_for_line("got count ")
      assert_equal "1", client.wait_for_line("got everyone ")
      assert_equal "1000", client.wait_for_line("closed")
      # on_close stops the node.
      Timeout.timeout(LIMIT) { node.join }
    end

    assert_equal [sig], opened.map(&:signature)
    conn = opened.first
    assert_equal ["ping", [1, "x"]], [received.first[0].name, received.first[0].body]
    # Each handler gets its own Connection object; they name the same peer.
    assert_equal conn, received.first[1]
    assert conn.eql?(closed.first)
    assert_equal 1, [conn, received.first[1], closed.first].uniq.size
    assert_instance_of DripDrop::Connection, conn
    assert_equal 1, errors.size
    assert_equal conn, errors.first[1]
    # A connection that closed is still a name; sending to it is a ConnectionError.
    assert_raises(DripDrop::ConnectionError) { conn.send_message(name: "late") }
  end

  def test_web_kinds_imply_their_mode
    node = DripDrop::Node.new
    assert_match(%r{\Ahttp://127\.0\.0\.1:\d+}, node.http_server("tcp://127.0.0.1:*").address)
    assert_match(%r{\Aws://127\.0\.0\.1:\d+}, node.websocket("tcp://127.0.0.1:*").address)
    # Given against its kind, a mode is core's to refuse.
    assert_raises(DripDrop::InvalidArgument) { node.websocket("ws://127.0.0.1:*", :connect) }
  ensure
    node&.close
  end
end

# examples/ruby/complex.rb, run as a user runs it: the page, the JavaScript client and
# /config from its web route, and a browser (Python's websockets client) greeted, getting the
# ticks and its words answered by the service through the coordinator.
class ComplexExampleTest < Minitest::Test
  include CrossLanguage
  include WebClients
  parallelize_me!

  PROGRAM = File.join(CrossLanguage::ROOT, "examples", "ruby", "complex.rb")

  def teardown
    kill_all
  end

  def get(url)
    out, status = Open3.capture2("curl", "-sS", "--max-time", CLIENT_LIMIT.to_s, url)
    assert status.success?, "curl #{url} failed"
    out
  end

  def test_the_complex_example
    program = spawn_child("complex.rb", *CrossLanguage.ruby, PROGRAM, "--seconds", "60",
                          "--tick-ms", "100")
    ws = program.wait_for_line("ws_listener: browsers connect to ")
    page = program.wait_for_line("ws_listener: open ").delete_suffix("?ws=#{ws}")
    web = File.join(CrossLanguage::ROOT, "examples", "web", "complex")
    assert_equal File.read(File.join(web, "index.html")), get(page)
    assert_equal File.read(File.join(CrossLanguage::ROOT, "bindings", "js", "dripdrop.js")),
                 get("#{page}dripdrop.js")
    assert_equal ws, JSON.parse(get("#{page}config"))["body"]
    browser = ws_client(ws, <<~PY)
      say("hello", json.loads(ws.recv(timeout=LIMIT))["name"])
      while json.loads(ws.recv(timeout=LIMIT))["name"] != "tick":
          pass
      say("tick")
      ws.send(json.dumps({"name": "say", "head": {}, "body": "hi there"}))
      while True:
          answer = json.loads(ws.recv(timeout=LIMIT))
          if answer["name"] != "tick":
              say("answer", answer["name"], answer["body"])
              break
    PY
    assert_equal "hello", browser.wait_for_line("hello ")
    browser.wait_for_line("tick")
    assert_equal "service.reply the service heard: hi there", browser.wait_for_line("answer ")
    program.wait_for_line("ws_listener: browser ")
    program.wait_for_line("service <- hi there")
  end

  def test_the_complex_example_stops_after_its_seconds
    program = spawn_child("complex.rb", *CrossLanguage.ruby, PROGRAM, "--seconds", "0.5")
    status, lines = program.finish
    assert status.success?, program.failure("exited with #{status.inspect}").message
    assert(lines.any? { |line| line.start_with?("ws_listener: open http://127.0.0.1:") }, lines.inspect)
    assert_equal "", program.stderr
  end
end
