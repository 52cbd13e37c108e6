# frozen_string_literal: true

# Benchmarks of the Ruby gem, each against the stack it replaces, measured in the same run:
#
# - pushpull-small, pushpull-medium: DripDrop messages through one node, a push route and a
#   pull route on tcp://127.0.0.1 (random port), against the original DripDrop's stack doing
#   the same in one process: ffi-rzmq PUSH and PULL sockets, each message
#   BERT.encode({name:, head:, body:}) with the bert gem and BERT.decode'd on receipt (its C
#   decoder when built, as `gem install bert` gives it; --pure-ruby-bert keeps the pure-Ruby
#   one that Debian's ruby-bert falls back to). Small: name "tick", body an Integer (80 bytes
#   on the wire). Medium: a head with two entries and a Hash body (about 415 bytes). Both sides
#   put the same bytes on the wire (checked before measuring). Goal: 20x.
# - defer: trivial operations through Node#defer against EM.defer, both with 20 threads
#   (EventMachine's default pool size), a window of operations in flight. Goal: 1.5x.
# - pool: trivial tasks (a Ruby block) through a worker pool of two local threads, fed by
#   Pool#map, against the same operations through EM.defer with a pool of two threads. The
#   pool's tasks take the way every pool task takes (the pool's I/O thread, credits, leases);
#   EM.defer is the original stack's way to run Ruby code off the loop. Goal: 1x.
#
# Every measurement checks its own result (every message arrived once and in order, the whole
# content of a sample of them as sent; every operation's result came back once, its op off and
# its callback on the loop thread), so a broken path raises (or times out after WATCHDOG
# seconds) rather than posting a number. Rounds alternate which side runs first. The first line
# names the extension's build (a debug build is warned about: its figures mean nothing); then
# every round and, last for each, RESULT <name> <ratio> (ratio of the medians).
#
# Needs the gems ffi-rzmq, bert and eventmachine (Debian: apt-get install ruby-ffi-rzmq
# ruby-bert ruby-eventmachine). Build the extension first (script/dev-build --release), then:
#   ruby -Ibindings/ruby/lib bindings/ruby/bench/bench.rb [--quick] [--pure-ruby-bert]

# The bert gem still names Fixnum and Bignum.
Warning[:deprecated] = false

QUICK = ARGV.include?("--quick")
PURE_RUBY_BERT = ARGV.include?("--pure-ruby-bert")
ROUNDS = QUICK ? 1 : 5
# Seconds each side of a round should take: counts are sized from a warm-up run of each.
TARGET = QUICK ? 0.05 : 2.0
DEFER_THREADS = 20
POOL_THREADS = 2
DEFER_WINDOW = 200
SEND_WINDOW = 500
CHECK_EVERY = 997
# Seconds after which a run that has not finished fails (a lost message, not slowness).
WATCHDOG = 120

def baseline_gems
  missing = []
  begin
    require "ffi-rzmq"
  rescue LoadError => e
    missing << "ffi-rzmq (Debian: ruby-ffi-rzmq) [#{e.message}]"
  end
  begin
    require "bert"
  rescue LoadError => e
    missing << "bert (Debian: ruby-bert) [#{e.message}]"
  end
  begin
    require "eventmachine"
  rescue LoadError => e
    missing << "eventmachine (Debian: ruby-eventmachine) [#{e.message}]"
  end
  return if missing.empty?

  warn "bench.rb: cannot measure the baselines, missing #{missing.join(", ")}"
  warn "install them (apt-get install -y ruby-ffi-rzmq ruby-bert ruby-eventmachine) and run again"
  exit 2
end

require "fileutils"

baseline_gems
begin
  require "dripdrop"
rescue LoadError => e
  warn "bench.rb: cannot load the gem (#{e.message}); build it with " \
       "bindings/ruby/script/dev-build --release and run with ruby -Ibindings/ruby/lib"
  exit 2
end

# Debian's ruby-bert builds the gem's C decoder but installs it where `require "bert/c/decode"`
# does not find it, so the gem falls back to its pure-Ruby decoder; load the C one as
# `gem install bert` would, to measure the original stack at its best.
def bert_decoder
  return "C" if BERT::Decode.method(:decode).source_location.nil?
  return "pure Ruby" if PURE_RUBY_BERT

  spec = Gem.loaded_specs["bert"]
  so = spec && Dir[File.join(spec.extension_dir, "decode.*")].first
  if so
    require so
    return "C" if BERT::Decode.method(:decode).source_location.nil?
  end
  "pure Ruby"
end

# Which cargo profile built the loaded extension, when it is a copy of one in the workspace's
# target/ (script/dev-build copies it from there, and builds debug unless given --release).
def native_build
  loaded = $LOADED_FEATURES.grep(%r{dripdrop/dripdrop_native\.}).first
  return "extension not found" unless loaded

  target = ENV["CARGO_TARGET_DIR"] || File.expand_path("../../../../../target", loaded)
  %w[release debug].each do |profile|
    built = File.join(target, profile, "libdripdrop_native.#{RbConfig::CONFIG["SOEXT"]}")
    return "#{profile} build" if File.file?(built) && FileUtils.compare_file(built, loaded)
  end
  "build of unknown profile"
end

def now
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

# Raises with the block's text (built only on failure) unless +condition+.
def check(condition)
  raise "bench check failed: #{yield}" unless condition
end

# Whether message +i+ came back as sent: name and sequence number always, the whole content
# for a sample.
def intact?(kind, i, name, head, body)
  return false unless name == kind[:name] && (head.empty? ? body : head["seq"]) == i

  (i % CHECK_EVERY).nonzero? || kind[:check].call(i, head, body)
end

# The messages both sides send, as (name, head, body) for sequence number +i+, and a check of
# what came back.
SMALL = {
  name: "tick",
  make: ->(i) { [{}, i] },
  check: ->(i, head, body) { body == i && head.empty? }
}.freeze

ITEMS = [1, 2, 3, 5, 8, 13].freeze
NOTE = ("lorem ipsum " * 16).freeze
MEDIUM = {
  name: "order",
  make: lambda { |i|
    [{ "seq" => i, "reply_to" => "orders" },
     { "id" => i, "user" => "alice", "items" => ITEMS, "note" => NOTE }]
  },
  check: lambda { |i, head, body|
    head["seq"] == i && head["reply_to"] == "orders" &&
      body == { "id" => i, "user" => "alice", "items" => ITEMS, "note" => NOTE }
  }
}.freeze

# DripDrop: a pull route receives what the push route sends; the sender sends until the route
# reports Backpressure, then resumes at the next turn of the loop.
def dripdrop_pushpull(kind, count)
  name = kind[:name]
  make = kind[:make]
  sent = got = 0
  started = failure = nil
  node = DripDrop::Node.new do
    # An exception in a callback (a failed check included) ends the run.
    on_error do |e|
      failure ||= e
      stop
    end
    after(WATCHDOG) { raise "timed out with #{got} of #{count} messages received" }
    route :out, :zmq_push, "tcp://127.0.0.1:*", :bind
    route :inbox, :zmq_pull, out.address, :connect
    inbox.on_receive do |msg|
      check(intact?(kind, got, msg.name, msg.head, msg.body)) { "message #{got} came back as #{msg.inspect}" }
      got += 1
      stop if got == count
    end
    pump = lambda do
      begin
        while sent < count
          head, body = make.call(sent)
          out.send_message(DripDrop::Message.new(name, head: head, body: body))
          sent += 1
        end
      rescue DripDrop::Backpressure
        nil # full: go on at the next turn
      end
      next_tick(&pump) if sent < count
    end
    next_tick do
      started = now
      pump.call
    end
  end
  node.start!
  elapsed = now - started
  stats = node.stats["routes"]
  node.close
  raise failure if failure
  check(sent == count && got == count) { "sent #{sent}, received #{got}, wanted #{count}" }
  check(stats["inbox"]["messages_in"] == count) { "the pull route counted #{stats["inbox"]["messages_in"]}" }
  count / elapsed
end

# The original stack: ffi-rzmq PUSH and PULL sockets and the bert gem, a window of messages
# ahead of the receiver.
def rzmq_pushpull(kind, count)
  name = kind[:name]
  make = kind[:make]
  context = ZMQ::Context.new
  push = context.socket(ZMQ::PUSH)
  pull = context.socket(ZMQ::PULL)
  [push, pull].each { |s| s.setsockopt(ZMQ::LINGER, 0) }
  pull.setsockopt(ZMQ::RCVTIMEO, WATCHDOG * 1000)
  zmq_ok(push.bind("tcp://127.0.0.1:*"), "bind")
  endpoint = []
  zmq_ok(push.getsockopt(ZMQ::LAST_ENDPOINT, endpoint), "getsockopt")
  zmq_ok(pull.connect(endpoint.first.delete("\0")), "connect")
  frame = +""
  sent = got = 0
  started = now
  while got < count
    while sent < count && sent - got < SEND_WINDOW
      head, body = make.call(sent)
      zmq_ok(push.send_string(BERT.encode({ name: name, head: head, body: body })), "send")
      sent += 1
    end
    zmq_ok(pull.recv_string(frame), "recv")
    msg = BERT.decode(frame)
    check(intact?(kind, got, msg[:name], msg[:head], msg[:body])) { "message #{got} came back as #{msg.inspect}" }
    got += 1
  end
  elapsed = now - started
  push.close
  pull.close
  context.terminate
  check(sent == count && got == count) { "sent #{sent}, received #{got}, wanted #{count}" }
  count / elapsed
end

def zmq_ok(rc, what)
  raise "ffi-rzmq #{what} failed: #{ZMQ::Util.error_string}" unless ZMQ::Util.resultcode_ok?(rc)
end

# Shared by both defer benchmarks: +issue+ runs operation i, which returns i & 0xff; the
# callbacks issue the next one, so at most DEFER_WINDOW are in flight.
class DeferRun
  attr_reader :done, :sum, :off_loop, :on_loop

  def initialize(count)
    @count = count
    @issued = @done = @sum = @off_loop = @on_loop = 0
    @loop_thread = Thread.current
  end

  def start(&issue)
    @loop_thread = Thread.current
    @issue = issue
    [DEFER_WINDOW, @count].min.times { issue_next }
  end

  def issue_next
    i = @issued
    @issued += 1
    loop_thread = @loop_thread
    op = lambda do
      @off_loop += 1 unless Thread.current.equal?(loop_thread)
      i & 0xff
    end
    @issue.call(op)
  end

  # Returns true when the last callback came in.
  def callback(result)
    @on_loop += 1 if Thread.current.equal?(@loop_thread)
    @sum += result
    @done += 1
    issue_next if @issued < @count
    @done == @count
  end

  def verify
    expected = (0...@count).sum { |i| i & 0xff }
    check(@done == @count) { "#{@done} callbacks for #{@count} operations" }
    check(@sum == expected) { "results summed to #{@sum}, not #{expected}" }
    check(@on_loop == @count) { "#{@count - @on_loop} callbacks off the loop thread" }
    # Counted from many threads without a lock: a lost increment is possible, so this only
    # proves the operations ran on the pool (none on the loop thread would give 0).
    check(@off_loop.positive?) { "no operation ran off the loop thread" }
  end
end

# Runs a node (made with +options+) whose loop runs +work+ (with the node as self) at its first
# turn; returns the seconds from then until the node stopped. An error in a callback stops the
# node and is raised here; +progress+ says how far it got if the watchdog fires.
def timed_node(progress, **options, &work)
  started = failure = nil
  node = DripDrop::Node.new(**options) do
    on_error do |e|
      failure ||= e
      stop
    end
    after(WATCHDOG) { raise "timed out with #{progress.call}" }
    next_tick do
      started = now
      instance_exec(&work)
    end
  end
  node.start!
  elapsed = now - started
  node.close
  raise failure if failure

  elapsed
end

def dripdrop_defer(count)
  run = DeferRun.new(count)
  progress = -> { "#{run.done} of #{count} callbacks" }
  elapsed = timed_node(progress, defer_threads: DEFER_THREADS) do
    callback = ->(result) { stop if run.callback(result) }
    run.start { |op| defer(op, callback) }
  end
  run.verify
  count / elapsed
end

def em_defer(count, threads = DEFER_THREADS)
  run = DeferRun.new(count)
  started = nil
  EM.threadpool_size = threads
  EM.run do
    EM.add_timer(WATCHDOG) { EM.stop }
    started = now
    callback = ->(result) { EM.stop if run.callback(result) }
    run.start { |op| EM.defer(op, callback) }
  end
  elapsed = now - started
  run.verify
  count / elapsed
end

# Task i returns i & 0xff, as the defer operations do; map feeds them as results free room.
def dripdrop_pool(count)
  sum = done = 0
  elapsed = timed_node(-> { "#{done} of #{count} results" }) do
    task(:mask) { |i| i & 0xff }
    pool = worker_pool(:bench, local: POOL_THREADS)
    pool.map(:mask, 0...count, done: -> { stop }) do |result, _index|
      sum += result
      done += 1
    end
  end
  expected = (0...count).sum { |i| i & 0xff }
  check(done == count) { "#{done} results for #{count} tasks" }
  check(sum == expected) { "results summed to #{sum}, not #{expected}" }
  count / elapsed
end

def number(rate)
  rate.round.to_s.reverse.scan(/\d{1,3}/).join(",").reverse
end

def median(values)
  sorted = values.sort
  mid = sorted.size / 2
  sorted.size.odd? ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0
end

# A count that takes about TARGET seconds at +rate+.
def sized(rate, floor)
  [(rate * TARGET).round(-2), floor].max.to_i
end

def compare(name, ours, baseline, baseline_name, goal:, unit:, floor:)
  # Warm-up runs (not counted) size each side's count.
  GC.start
  ours_count = sized(ours.call(floor), floor)
  GC.start
  base_count = sized(baseline.call(floor), floor)
  puts "#{name}: #{number(ours_count)} #{unit} per dripdrop run, #{number(base_count)} per #{baseline_name} run"
  mine = []
  theirs = []
  ROUNDS.times do |i|
    sides = [[mine, -> { ours.call(ours_count) }], [theirs, -> { baseline.call(base_count) }]]
    sides.reverse! if i.odd?
    sides.each do |results, measure|
      GC.start
      results << measure.call
    end
    puts format("%s round %d: dripdrop %s %s/s, %s %s %s/s, ratio %.2f",
                name, i + 1, number(mine.last), unit, baseline_name, number(theirs.last), unit,
                mine.last / theirs.last)
  end
  a = median(mine)
  b = median(theirs)
  paired = median(mine.zip(theirs).map { |x, y| x / y })
  puts format("%s median: dripdrop %s %s/s, %s %s %s/s (median of the rounds' ratios %.2f; goal %gx)",
              name, number(a), unit, baseline_name, number(b), unit, paired, goal)
  puts format("RESULT %s %.3f", name, a / b)
  $stdout.flush
end

# Both sides must move the same bytes for the comparison to mean anything.
def same_wire_format
  [SMALL, MEDIUM].each do |kind|
    head, body = kind[:make].call(12_345)
    ours = DripDrop::Message.new(kind[:name], head: head, body: body).encoded.b
    theirs = BERT.encode({ name: kind[:name], head: head, body: body }).b
    check(ours == theirs) { "#{kind[:name]}: dripdrop encodes #{ours.inspect}, bert #{theirs.inspect}" }
  end
end

def main
  decoder = bert_decoder
  same_wire_format
  build = native_build
  warn "bench.rb: the extension is a debug build: build it with script/dev-build --release" if build == "debug build"
  puts "ruby #{RUBY_VERSION}, dripdrop #{DripDrop::VERSION} (#{build}), ffi-rzmq #{ZMQ::VERSION} " \
       "(libzmq #{LibZMQ.version.values.join(".")}), bert #{Gem.loaded_specs["bert"]&.version} " \
       "(#{decoder} decoder), eventmachine #{EM::VERSION}; #{ROUNDS} round(s)"
  baseline_name = "ffi-rzmq+bert"
  floor = QUICK ? 500 : 2_000
  compare("pushpull-small", ->(n) { dripdrop_pushpull(SMALL, n) },
          ->(n) { rzmq_pushpull(SMALL, n) }, baseline_name, goal: 20, unit: "msgs", floor: floor)
  compare("pushpull-medium", ->(n) { dripdrop_pushpull(MEDIUM, n) },
          ->(n) { rzmq_pushpull(MEDIUM, n) }, baseline_name, goal: 20, unit: "msgs", floor: floor)
  compare("defer", ->(n) { dripdrop_defer(n) }, ->(n) { em_defer(n) },
          "EM.defer", goal: 1.5, unit: "ops", floor: QUICK ? 1_000 : 5_000)
  compare("pool", ->(n) { dripdrop_pool(n) }, ->(n) { em_defer(n, POOL_THREADS) },
          "EM.defer(2 threads)", goal: 1, unit: "tasks", floor: QUICK ? 1_000 : 5_000)
end

main if $PROGRAM_NAME == __FILE__
