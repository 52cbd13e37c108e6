# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"
require_relative "support/web_clients"
require "tempfile"

# The original gem's programs (andrewvc/dripdrop: its README and example/ at HEAD and at
# bd0c622, the last BERT version), copied in test/original/ unchanged except where their
# headers say (EventMachine's own classes; the HTTP routes of the older programs). Each runs in
# a Ruby process of its own, as its author ran it, and prints what it printed then.
#
# One change is made when they run: each fixed tcp://127.0.0.1:PORT address becomes an inproc
# address unique to the run, so that tests never fight over ports (the programs' binds and
# connects keep their order: inproc connects before binds as tcp does); a web address is
# given a free port instead (a test's +web+ replacements, applied first).
class OriginalProgramsTest < Minitest::Test
  include CrossLanguage
  include WebClients
  parallelize_me!

  PROGRAMS = File.join(__dir__, "original")
  PRELUDE = File.join(__dir__, "support", "original_prelude.rb")

  def teardown
    kill_all
    (@sources || []).each(&:close!)
  end

  # Starts test/original/+name+, with each key of +web+ in its source replaced by the value.
  def run_program(name, web: {})
    source = File.read(File.join(PROGRAMS, "#{name}.rb"))
    web.each { |address, replacement| source = source.gsub(address, replacement) }
    run = "#{Process.pid}-#{rand(1 << 40)}"
    source = source.gsub(%r{tcp://127\.0\.0\.1:(\d+)}) { "inproc://original-#{Regexp.last_match(1)}-#{run}" }
    file = Tempfile.new([File.basename(name), ".rb"])
    (@sources ||= []) << file
    file.write(source)
    file.flush
    spawn_child(name, *CrossLanguage.ruby, "-r", PRELUDE, file.path)
  end

  # Reads lines until one starting with each of +prefixes+ came (in any order); those lines.
  def wait_for_all(program, *prefixes)
    seen = {}
    until prefixes.all? { |prefix| seen.key?(prefix) }
      line = program.wait_for_line("")
      prefixes.each { |prefix| seen[prefix] ||= line if line.start_with?(prefix) }
    end
    assert_equal "", program.stderr
    seen
  end

  # How many dates a printed head holds (the timestamps of subclass.rb).
  def dates(line)
    line.scan(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/).size
  end

  %w[head bd0c622].each do |rev|
    define_method("test_pubsub_#{rev}") do
      program = run_program("#{rev}/pubsub")
      seen = wait_for_all(program, "Sending!", "Receiver 1 ", "Receiver 2 ", "Receiver 3 ")
      # Topics are the second of sending: odd ones to Receiver 1, even ones to Receiver 2.
      assert_match(/\AReceiver 1 #<DripDrop::Message "\d*[13579]" head=\{\} body="Test Payload">\z/, seen["Receiver 1 "])
      assert_match(/\AReceiver 2 #<DripDrop::Message "\d*[02468]"/, seen["Receiver 2 "])
    end

    define_method("test_pushpull_#{rev}") do
      program = run_program("#{rev}/pushpull")
      seen = wait_for_all(program, "1", "Receiver 1 Test Payload ", "Receiver 2 Test Payload ")
      assert_match(/\AReceiver \d Test Payload \d+\z/, seen["Receiver 2 Test Payload "])
    end

    define_method("test_xreq_xrep_#{rev}") do
      program = run_program("#{rev}/xreq_xrep")
      seen = wait_for_all(program, "REP Test Payload i1", "REP Test Payload k1", "RECV I RESP ", "RECV K RESP ")
      assert_match(/\ARECV I RESP #<DripDrop::Message "test" head=\{\} body="Test Payload i1">\z/,
                   seen["RECV I RESP "])
    end

    # A message class that stamps the time in its head when made and at every receipt: the
    # head names its class, the route's class (DripDrop.default_message_class) remakes it.
    define_method("test_subclass_#{rev}") do
      program = run_program("#{rev}/subclass")
      status, lines = program.finish
      assert status.success?, program.failure("exited with #{status.inspect}").message
      assert_equal "", program.stderr
      first = lines.find { |line| line.start_with?("Pull 1 ") }
      second = lines.find { |line| line.start_with?("Pull 2 ") }
      assert_equal [2, 3], [dates(first), dates(second)], lines.inspect
      assert_includes second, '"TimestampedMessage"'
    end

    define_method("test_combined_without_its_http_routes_#{rev}") do
      program = run_program("#{rev}/combined")
      wait_for_all(program, "__started__ stats_pub stats_sub1 stats_sub2")
    end
  end

  def test_http_without_its_http_routes
    program = run_program("head/http")
    wait_for_all(program, "__started__")
  end

  # The complex example whole: a browser (Python's websockets client) connects to its
  # websocket route, gets 'test' and the ticks the coordinator publishes, and asks; the ask
  # goes over xreq/xrep to the coordinator, which proxies it to an HTTP endpoint (an
  # http_server route of this process, echoing) and the answer comes back the same way.
  def test_the_complex_server
    endpoint = DripDrop::Node.new
    http = endpoint.http_server("http://127.0.0.1:*/endpoint")
    http.on_receive { |message, response| response.send_message(message) }
    started = endpoint.start
    port = http.address[/:(\d+)/, 1]
    program = run_program("head/complex_server", web: {
                            "ws://127.0.0.1:8080" => "ws://127.0.0.1:0",
                            "tcp://127.0.0.1:3000/endpoint" => "http://127.0.0.1:#{port}/endpoint"
                          })
    program.wait_for_line("Starting...")
    ws = program.wait_for_line("__endpoint__ ws_listener_ws_listener ")
    program.wait_for_line("__started__ coordinator_broadcast_out coordinator_reqs_htout " \
                          "coordinator_reqs_in ws_listener_broadcast_in ws_listener_reqs_out " \
                          "ws_listener_ws_listener")
    browser = ws_client(ws, <<~PY)
      say("first", json.loads(ws.recv(timeout=LIMIT))["name"])
      while json.loads(ws.recv(timeout=LIMIT))["name"] != "tick":
          pass
      say("tick")
      ws.send(json.dumps({"name": "question", "head": {}, "body": 42}))
      while True:
          answer = json.loads(ws.recv(timeout=LIMIT))
          if answer["name"] == "question":
              say("answer", answer["body"], answer["head"]["http_path"])
              break
    PY
    assert_equal "test", browser.wait_for_line("first ")
    browser.wait_for_line("tick")
    assert_equal "42 /endpoint", browser.wait_for_line("answer ")
    status, = browser.finish
    assert status.success?, browser.failure("exited with #{status.inspect}").message
    program.wait_for_line("WS Connected")
    program.wait_for_line("WS Recv question")
    program.wait_for_line("Proxying #<DripDrop::Message \"question\"")
    program.wait_for_line("Received http response #<DripDrop::Message \"question\"")
    program.wait_for_line("Recvd resp_message #<DripDrop::Message \"question\"")
    program.wait_for_line("Closed ")
    assert_equal "", program.stderr
  ensure
    started&.stop
    started&.join
  end

  def test_the_readme_time_server
    program = run_program("head/readme_time_server")
    seen = wait_for_all(program, "The time is: ")
    assert_match(/\AThe time is: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\z/, seen["The time is: "])
  end

  def test_the_readme_nodelets
    program = run_program("head/readme_nodelets")
    seen = wait_for_all(program, '{"stat"=>1}', "received message.body: ")
    assert_match(/\Areceived message.body: \d{4}-\d\d-\d\d/, seen["received message.body: "])
  end
end
