# frozen_string_literal: true

# The one_api scenario (examples/one_api/README.md) in Ruby: a node with a pool `p` of two
# local threads, three tasks and an on_error handler; four steps, each waiting for its outcome
# before the next starts; one JSON line per step, exactly examples/one_api/expected.txt.
#
#   ruby examples/ruby/one_api.rb          (with the gem installed; in the repository,
#                                           ruby -Ibindings/ruby/lib after script/dev-build)

require "dripdrop"
require "json"

class Boom < StandardError; end

# How long `slow` waits for its cancel before it gives up and finishes.
SLOW_LIMIT = 10
# How often `slow` looks at its task's cancel flag.
SLOW_POLL = 0.005

def monotonic
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

# The class of an error as every language names it (DripDrop::NoSuchPool: "NoSuchPool").
def class_word(error)
  error.class.name.split("::").last
end

def report(line)
  puts JSON.generate(line)
end

node = DripDrop::Node.new
node.task(:fail) { |_args| raise Boom, "boom" }
node.task(:double) { |n| n * 2 }
node.task(:slow) do |_args, task|
  deadline = monotonic + SLOW_LIMIT
  sleep SLOW_POLL until task.cancelled? || monotonic >= deadline
  "finished"
end
pool = node.worker_pool(:p, local: 2)

# Every error on_error gets goes to the step waiting for one; any other is a bug here.
unexpected = ->(error) { warn "one_api: unexpected error: #{error.full_message}" }
on_error = unexpected
node.on_error { |error| on_error.call(error) }

steps = {}

steps[:unknown_pool] = lambda do
  begin
    node.pool(:nope)
  rescue DripDrop::Error => e
    report(step: "unknown_pool", error: class_word(e))
  end
  steps[:defer_without_errback].call
end

steps[:defer_without_errback] = lambda do
  on_error = lambda do |error|
    report(step: "defer_without_errback", on_error: class_word(error),
           remote_class: error.remote_class, remote_message: error.remote_message)
    steps[:map_with_bad_item].call
  end
  pool.defer(:fail, 1) { |_result| raise "the callback of a failed task must not run" }
end

steps[:map_with_bad_item] = lambda do
  results = []
  item_error_reported = false
  done = false
  finish = lambda do
    next unless done && item_error_reported

    report(step: "map_with_bad_item", results: results.sort, item_error_reported: true, done: true)
    steps[:cancel_by_id].call
  end
  on_error = lambda do |error|
    item_error_reported ||= error.message.include?("bad item")
    finish.call
  end
  # Its third `next` raises: 4 is never reached.
  items = Enumerator.new do |out|
    [1, 2, :bad, 4].each do |item|
      raise "bad item" if item == :bad

      out << item
    end
  end
  finish_map = lambda do
    done = true
    finish.call
  end
  pool.map(:double, items, done: finish_map) do |index, result, error|
    raise error if error

    results << [index, result]
  end
end

steps[:cancel_by_id] = lambda do
  on_error = unexpected
  cancel_returned = nil
  id = pool.defer(:slow) do |_result, error|
    report(step: "cancel_by_id", cancel_returned: cancel_returned, error: class_word(error))
    node.stop
  end
  cancel_returned = pool.cancel(id)
end

node.next_tick { steps[:unknown_pool].call }
node.start!
node.close
