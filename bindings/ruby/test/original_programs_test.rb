# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"
require "tempfile"

# The original gem's programs (andrewvc/dripdrop: its README and example/ at HEAD and at
# bd0c622, the last BERT version), copied in test/original/ unchanged except where their
# headers say (EventMachine's own classes; HTTP and WebSocket routes, not built here). Each
# runs in a Ruby process of its own, as its author ran it, and prints what it printed then.
#
# One change is made when they run: each fixed tcp://127.0.0.1:PORT address becomes an inproc
# address unique to the run, so that tests never fight over ports (the programs' binds and
# connects keep their order: inproc connects before binds as tcp does).
class OriginalProgramsTest < Minitest::Test
  include CrossLanguage
  parallelize_me!

  PROGRAMS = File.join(__dir__, "original")
  PRELUDE = File.join(__dir__, "support", "original_prelude.rb")

  def teardown
    kill_all
    (@sources || []).each(&:close!)
  end

  # Starts test/original/+name+.
  def run_program(name)
    source = File.read(File.join(PROGRAMS, "#{name}.rb"))
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

  def test_the_complex_server_without_its_web_parts
    program = run_program("head/complex_server")
    wait_for_all(program, "Starting...",
                 "__started__ coordinator_broadcast_out coordinator_reqs_in ws_listener_broadcast_in " \
                 "ws_listener_reqs_out")
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
