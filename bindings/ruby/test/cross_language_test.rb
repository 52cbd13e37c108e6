# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"

# Ruby beside Python and Rust: messages both ways between a Ruby and a Python node, every
# value arriving as docs/design.md ("Values") maps it; a Ruby xreq answered by the Rust
# xreq_xrep example; a Ruby pool served by a Rust and by a Python worker; a Python pool served
# by a Rust and a Ruby worker at once.
class CrossLanguageTest < Minitest::Test
  include DripDropTest
  include CrossLanguage

  def teardown
    kill_all
  end

  # A Python node: pulls from ARGV[1], prints how each value looks to Python ("seen {json}"),
  # and pushes to ARGV[2] the body it got back ("echo") beside values made in Python.
  PYTHON_PEER = <<~PYTHON
    import datetime, json, re, sys
    import dripdrop
    from dripdrop import Atom

    FLAGS = ("IGNORECASE", "VERBOSE", "MULTILINE", "DOTALL")

    def describe(v):
        if v is None:
            return ["None"]
        if isinstance(v, bool):
            return ["bool", v]
        if type(v) is int:
            return ["int", str(v)]
        if type(v) is float:
            return ["float", v]
        if type(v) is Atom:
            return ["Atom", str(v)]
        if type(v) is str:
            return ["str", v]
        if type(v) is bytes:
            return ["bytes", v.hex()]
        if type(v) is list:
            return ["list", [describe(x) for x in v]]
        if type(v) is tuple:
            return ["tuple", [describe(x) for x in v]]
        if type(v) is dict:
            return ["dict", [[describe(k), describe(x)] for k, x in v.items()]]
        if type(v) is datetime.datetime:
            return ["datetime", v.isoformat()]
        if isinstance(v, re.Pattern):
            return ["Pattern", v.pattern, [f for f in FLAGS if v.flags & getattr(re, f)]]
        return ["?", type(v).__name__, repr(v)]

    node = dripdrop.Node()
    inbox = node.route("inbox", "zmq_pull", sys.argv[1], "connect")
    back = node.route("back", "zmq_push", sys.argv[2], "connect")

    @inbox.on_receive
    def got(msg):
        seen = {"name": msg.name, "head": describe(msg.head),
                "fields": {k: describe(v) for k, v in msg.body.items()}}
        print("seen " + json.dumps(seen), flush=True)
        made = {
            "py_int": 7,
            "py_neg_big": -(2**100),
            "py_float": 0.25,
            "py_str": "naïve ✓",
            "py_bytes_utf8": b"abc",
            "py_bytes": b"\\x80\\x81\\x00",
            "py_atom": Atom("yes"),
            "py_tuple": (1, "a", None),
            "py_list": [None, True, False, [], ()],
            "py_dict": {"k": [1], Atom("s"): 2, 3: "three"},
            "py_time": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc),
            "py_regex": re.compile("x+ y", re.IGNORECASE | re.VERBOSE),
        }
        back.send_message({"name": "back", "head": {"from": Atom("python")},
                           "body": {"echo": msg.body, "python": made}})

    print("ready", flush=True)
    node.run()
  PYTHON

  def ruby_values
    {
      "int" => 42,
      "negative" => -7,
      "i64_min" => -2**63,
      "big" => 2**80,
      "neg_big" => -(3**50),
      "float" => 1.5,
      "text" => "héllo ✓",
      "binary" => "\xFF\x00\xFE".b,
      "utf8_binary" => "abc".b,
      "symbol" => :ok,
      "list" => [1, "two", [nil]],
      "tuple" => DripDrop::Tuple[1, :two, "three"],
      "hash" => { "a" => 1, :b => [] },
      "time" => Time.at(1_700_000_000, 123_456, :usec).utc,
      "nil" => nil,
      "true" => true,
      "false" => false,
      "regexp" => /ab+c/ix
    }
  end

  # How Python must see ruby_values (docs/design.md, "Values").
  PYTHON_VIEW = {
    "int" => ["int", "42"],
    "negative" => ["int", "-7"],
    "i64_min" => ["int", (-2**63).to_s],
    "big" => ["int", (2**80).to_s],
    "neg_big" => ["int", (-(3**50)).to_s],
    "float" => ["float", 1.5],
    "text" => ["str", "héllo ✓"],
    "binary" => ["bytes", "ff00fe"],
    "utf8_binary" => ["str", "abc"],
    "symbol" => ["Atom", "ok"],
    "list" => ["list", [["int", "1"], ["str", "two"], ["list", [["None"]]]]],
    "tuple" => ["tuple", [["int", "1"], ["Atom", "two"], ["str", "three"]]],
    "hash" => ["dict", [[["str", "a"], ["int", "1"]], [["Atom", "b"], ["list", []]]]],
    "time" => ["datetime", "2023-11-14T22:13:20.123456+00:00"],
    "nil" => ["None"],
    "true" => ["bool", true],
    "false" => ["bool", false],
    "regexp" => ["Pattern", "ab+c", %w[IGNORECASE VERBOSE]]
  }.freeze

  def test_a_ruby_node_and_a_python_node_exchange_every_kind_of_value
    node = DripDrop::Node.new
    out = node.route(:out, :zmq_push, "tcp://127.0.0.1:*", :bind)
    inbox = node.route(:inbox, :zmq_pull, "tcp://127.0.0.1:*", :bind)
    python = spawn_child("python node", CrossLanguage.python, "-c", PYTHON_PEER, out.address, inbox.address)
    assert_equal "", python.wait_for_line("ready")

    received = nil
    inbox.on_receive do |msg|
      received = msg
      node.stop
    end
    out.send_message(DripDrop::Message.new("values", head: { "trace" => "r-1", :hops => 1 }, body: ruby_values))
    run_node(node)

    # What Python saw.
    seen = JSON.parse(python.wait_for_line("seen "))
    assert_equal "values", seen["name"]
    assert_equal ["dict", [[["str", "trace"], ["str", "r-1"]], [["Atom", "hops"], ["int", "1"]]]], seen["head"]
    PYTHON_VIEW.each { |key, view| assert_equal view, seen["fields"][key], "#{key} as Python sees it" }
    assert_equal PYTHON_VIEW.keys.sort, seen["fields"].keys.sort

    # What came back: Ruby's values through Python unchanged, Python's as Ruby maps them.
    assert_equal "back", received.name
    assert_equal({ "from" => :python }, received.head)
    echo = received.body.fetch("echo")
    ruby_values.each do |key, value|
      if value.nil?
        assert_nil echo.fetch(key), "#{key} back from Python"
      else
        assert_equal value, echo[key], "#{key} back from Python"
      end
    end
    assert_equal ruby_values.keys.sort, echo.keys.sort
    assert_equal Encoding::BINARY, echo["binary"].encoding
    assert_equal Encoding::UTF_8, echo["text"].encoding
    assert_instance_of DripDrop::Tuple, echo["tuple"]
    assert_instance_of Array, echo["list"]
    assert_equal 123_456, echo["time"].usec

    made = received.body.fetch("python")
    assert_equal 7, made["py_int"]
    assert_equal(-(2**100), made["py_neg_big"])
    assert_equal 0.25, made["py_float"]
    assert_equal "naïve ✓", made["py_str"]
    assert_equal Encoding::UTF_8, made["py_str"].encoding
    assert_equal "abc", made["py_bytes_utf8"]
    assert_equal Encoding::UTF_8, made["py_bytes_utf8"].encoding, "valid UTF-8 binaries are tagged UTF-8"
    assert_equal "\x80\x81\x00".b, made["py_bytes"]
    assert_equal Encoding::BINARY, made["py_bytes"].encoding
    assert_equal :yes, made["py_atom"]
    assert_equal DripDrop::Tuple[1, "a", nil], made["py_tuple"]
    assert_instance_of DripDrop::Tuple, made["py_tuple"]
    assert_equal [nil, true, false, [], DripDrop::Tuple[]], made["py_list"]
    assert_instance_of DripDrop::Tuple, made["py_list"].last
    assert_equal({ "k" => [1], :s => 2, 3 => "three" }, made["py_dict"])
    assert_equal Time.utc(2024, 1, 2, 3, 4, 5, 678_901), made["py_time"]
    assert_equal 678_901, made["py_time"].usec
    assert_equal "x+ y", made["py_regex"].source
    assert_equal Regexp::IGNORECASE | Regexp::EXTENDED, made["py_regex"].options & 7
    assert_match made["py_regex"], "XXY"
  ensure
    node&.close
  end

  def test_a_ruby_xreq_is_answered_by_the_rust_xrep_example
    # The example's own client sends its first requests a minute from now; the test is
    # over long before.
    rust = spawn_child("xreq_xrep", CrossLanguage.xreq_xrep, "--addr", "tcp://127.0.0.1:*",
                       "--count", "1000000", "--interval-ms", "60000")
    endpoint = rust.wait_for_line("xrep bound to ")

    texts = Array.new(20) { |i| "ruby #{i} ✓" }
    replies = {}
    node = DripDrop::Node.new
    req = node.route(:req, :zmq_xreq, endpoint, :connect, request_timeout: 10)
    node.after(0) do
      (texts + [42]).each do |body|
        req.send_message(DripDrop::Message.new("test", body: body)) do |reply, error|
          replies[body] = error || reply
          node.stop if replies.size == texts.size + 1
        end
      end
    end
    run_node(node)

    texts.each do |text|
      reply = replies.fetch(text)
      assert_kind_of DripDrop::Message, reply, "the reply to #{text.inspect}"
      assert_equal "reply", reply.name
      assert_equal "re: #{text}", reply.body, "each reply comes back to its own request"
    end
    assert_equal "re: ?", replies.fetch(42).body, "a body that is not text"
  ensure
    node&.close
  end

  def test_a_ruby_pool_is_served_by_a_rust_pool_worker
    results = {}
    doubled = {}
    node = DripDrop::Node.new
    pool = node.worker_pool(:rust, "tcp://127.0.0.1:*", :bind)
    worker = spawn_child("pool_worker", CrossLanguage.pool_worker, "--connect", pool.endpoint,
                         "--tasks", "echo,double,pid,fail", "--concurrency", "2")
    worker.wait_for_line("worker ")

    value = { "list" => [1, 2**70, -1.5, nil, true], :sym => DripDrop::Tuple[:a, "b"],
              "binary" => "\x00\xFF".b, "time" => Time.at(1_600_000_000, 1, :usec), 5 => /x/i }
    expected = 5
    finish = lambda do |key, outcome|
      results[key] = outcome
      node.stop if results.size == expected
    end
    node.after(0) do
      pool.defer(:echo, value) { |r, e| finish.call(:echo, e || r) }
      pool.defer(:double, 2**40) { |r, e| finish.call(:double, e || r) }
      pool.defer(:pid, "args") { |r, e| finish.call(:pid, e || r) }
      pool.defer(:fail, nil, errback: ->(e) { finish.call(:fail, e) }) { |r| finish.call(:fail, r) }
      pool.map(:double, 1..50, done: -> { finish.call(:map, :done) }) do |index, result, error|
        doubled[index] = error || result
      end
    end
    run_node(node)

    assert_equal value, results[:echo]
    assert_equal 2**41, results[:double]
    assert_equal [worker.pid, "args"], results[:pid]
    assert_equal (0...50).to_h { |i| [i, (i + 1) * 2] }, doubled
    error = results[:fail]
    assert_kind_of DripDrop::RemoteError, error
    assert_equal "ArgumentError", error.remote_class
    assert_equal "this task always fails", error.remote_message
    assert_equal 0, pool.stats["workers_lost"]
  ensure
    node&.close
  end

  PYTHON_WORKER = <<~PYTHON
    import os, sys
    import dripdrop

    worker = dripdrop.Worker(sys.argv[1], concurrency=2, name="python")

    @worker.task("whoami")
    def whoami(args):
        return ["python", os.getpid(), args]

    @worker.task("boom")
    def boom(args):
        raise ValueError(f"bad value {args!r}")

    print("ready", flush=True)
    worker.run()
  PYTHON

  def test_a_ruby_pool_is_served_by_a_python_worker
    results = {}
    node = DripDrop::Node.new
    pool = node.worker_pool(:python, "tcp://127.0.0.1:*", :bind)
    python = spawn_child("python worker", CrossLanguage.python, "-c", PYTHON_WORKER, pool.endpoint)
    python.wait_for_line("ready")
    node.after(0) do
      pool.defer(:whoami, { "n" => 1, :k => DripDrop::Tuple[2] }) do |r, e|
        results[:whoami] = e || r
        node.stop if results.size == 2
      end
      pool.defer(:boom, 3) do |r, e|
        results[:boom] = e || r
        node.stop if results.size == 2
      end
    end
    run_node(node)

    assert_equal ["python", python.pid, { "n" => 1, :k => DripDrop::Tuple[2] }], results[:whoami]
    error = results[:boom]
    assert_kind_of DripDrop::RemoteError, error
    assert_equal "ValueError", error.remote_class
    assert_equal "bad value 3", error.remote_message
    assert error.remote_backtrace.any? { |line| line.include?("boom") }, error.remote_backtrace.inspect
  ensure
    node&.close
  end

  # A Python pool: waits for two workers, runs ARGV[0] `pid` tasks, prints every result as
  # JSON.
  PYTHON_POOL = <<~PYTHON
    import json, sys
    import dripdrop

    want = int(sys.argv[1])
    node = dripdrop.Node()
    pool = node.worker_pool("mixed", bind="tcp://127.0.0.1:*")
    print("pool " + pool.endpoint, flush=True)
    results, errors = {}, []

    def check():
        if len(results) + len(errors) == want:
            node.stop()

    def got(i, result):
        results[i] = result
        check()

    def failed(error):
        errors.append(repr(error))
        check()

    def start():
        if pool.stats()["workers_alive"] < 2:
            return
        node.cancel_timer(waiting)
        for i in range(want):
            pool.defer("pid", i, callback=lambda r, i=i: got(i, r), errback=failed)

    waiting = node.every(0.01, start)
    node.after(15, node.stop)
    node.run()
    print(json.dumps({"results": [[i, r] for i, r in sorted(results.items())], "errors": errors}),
          flush=True)
  PYTHON

  def test_a_python_pool_is_served_by_a_rust_and_a_ruby_worker_at_once
    tasks = 200
    python = spawn_child("python pool", CrossLanguage.python, "-c", PYTHON_POOL, tasks.to_s)
    endpoint = python.wait_for_line("pool ")
    # Rust's built-in `pid` answers [its pid, the arguments]; the Ruby worker's the same.
    rust = spawn_child("pool_worker", CrossLanguage.pool_worker, "--connect", endpoint,
                       "--tasks", "pid", "--concurrency", "2")
    rust.wait_for_line("worker ")
    ruby = DripDrop::Worker.new(endpoint, concurrency: 2, name: "ruby")
    ruby.task(:pid) { |args| [Process.pid, args] }
    ruby.start

    status, lines = python.finish
    assert status.success?, python.failure("exited with #{status.inspect}").message
    report = json_line(lines, "the Python pool")
    assert_equal [], report["errors"]
    assert_equal (0...tasks).to_a, report["results"].map(&:first), "every task has its result"
    report["results"].each { |i, (_pid, args)| assert_equal i, args }
    served = report["results"].map { |_i, (pid, _args)| pid }.tally
    assert_equal [Process.pid, rust.pid].sort, served.keys.sort, "both workers served: #{served}"
  ensure
    ruby&.stop
    ruby&.join
  end
end
