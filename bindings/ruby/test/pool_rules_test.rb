# frozen_string_literal: true

require_relative "test_helper"

# docs/api.md's rules for worker pools, in Ruby: where a task's result or error goes (defer
# and each form of map's block), an Enumerator that raises, the task object a handler gets,
# and unknown pools.
class PoolRulesTest < Minitest::Test
  include DripDropTest

  class Boom < StandardError; end

  # A node with a local pool :p of two threads and tasks :double, :fail and :context;
  # +setup+ runs on the loop (as the node's action).
  def pool_node(&setup)
    node = DripDrop::Node.new do
      task(:double) { |n| n * 2 }
      task(:fail) { |_args| raise Boom, "boom" }
      task(:context) { |_args, task| [task.id, task.name, task.attempt, task.cancelled?, task.time_left] }
      instance_exec(worker_pool(:p, local: 2), &setup)
    end
    @nodes = (@nodes || []) << node
    node
  end

  def teardown
    (@nodes || []).each(&:close)
  end

  def test_defer_returns_the_task_id_and_an_error_without_errback_goes_to_on_error
    errors = []
    ids = []
    node = pool_node do |pool|
      on_error do |e|
        errors << e
        stop if errors.size == 2
      end
      ids << pool.defer(:fail, 1) { |result| errors << "the result block got #{result.inspect}" }
      ids << pool.defer(:fail, 2)
    end
    run_node(node)
    assert(ids.all? { |id| id.is_a?(Integer) && id.positive? }, ids.inspect)
    assert_equal 2, ids.uniq.size
    assert_equal [DripDrop::RemoteError], errors.map(&:class).uniq
    assert_equal %w[PoolRulesTest::Boom PoolRulesTest::Boom], errors.map(&:remote_class)
    assert_equal %w[boom boom], errors.map(&:remote_message)
  end

  def test_a_block_of_two_parameters_or_an_errback_takes_the_error
    got = {}
    node = pool_node do |pool|
      finish = ->(key, value) { (got[key] = value) && got.size == 2 && stop }
      pool.defer(:fail, nil) { |result, error| finish.call(:block, [result, error.class]) }
      pool.defer(:fail, nil, errback: ->(e) { finish.call(:errback, e.class) }) { |r| finish.call(:result, r) }
    end
    run_node(node)
    assert_equal({ block: [nil, DripDrop::RemoteError], errback: DripDrop::RemoteError }, got)
  end

  def test_map_calls_a_block_of_three_parameters_with_index_result_and_error
    outcomes = []
    node = pool_node do |pool|
      pool.map(:double, [1, "x", 3], done: -> { stop }) { |index, result, error| outcomes << [index, result, error&.class] }
    end
    run_node(node)
    assert_equal [[0, 2, nil], [1, "xx", nil], [2, 6, nil]], outcomes.sort_by(&:first)
  end

  def test_map_with_a_splat_gets_every_outcome_errors_too
    outcomes = []
    node = pool_node do |pool|
      pool.map(:fail, [1, 2], done: -> { stop }) { |*outcome| outcomes << [outcome[0], outcome[1], outcome[2].class] }
    end
    run_node(node)
    assert_equal [[0, nil, DripDrop::RemoteError], [1, nil, DripDrop::RemoteError]], outcomes.sort_by(&:first)
  end

  def test_map_blocks_of_one_or_two_parameters_keep_their_meaning_and_errors_go_to_on_error
    ones = []
    twos = []
    errors = []
    finished = 0
    node = pool_node do |pool|
      on_error { |e| errors << e }
      finish = -> { stop if (finished += 1) == 3 }
      pool.map(:double, [1, 2], done: finish) { |result| ones << result }
      pool.map(:double, [5, 6], done: finish) { |result, index| twos << [result, index] }
      pool.map(:fail, [1], done: finish) { |result| ones << [:failed_task_result, result] }
    end
    run_node(node)
    assert_equal [2, 4], ones.sort
    assert_equal [[10, 0], [12, 1]], twos.sort
    assert_equal ["PoolRulesTest::Boom"], errors.map(&:remote_class)
  end

  def test_a_lambda_of_one_parameter_gets_only_the_result
    got = []
    node = pool_node do |pool|
      pool.map(:double, [4], done: -> { stop }, &->(result) { got << result })
    end
    run_node(node)
    assert_equal [8], got
  end

  def test_an_enumerator_that_raises_ends_the_feeding_and_its_exception_goes_to_on_error
    results = []
    errors = []
    order = []
    node = pool_node do |pool|
      on_error do |e|
        errors << e
        order << :error
      end
      items = Enumerator.new do |out|
        out << 1
        out << 2
        raise IndexError, "bad item"
      end
      done = lambda do
        order << :done
        stop
      end
      pool.map(:double, items, done: done) { |index, result, _error| results << [index, result] }
    end
    run_node(node)
    assert_equal [[0, 2], [1, 4]], results.sort
    assert_equal [IndexError], errors.map(&:class), "the Enumerator's own exception, class and all"
    assert_equal "bad item", errors.first.message
    assert(errors.first.backtrace.any? { |line| line.include?("pool_rules_test.rb") })
    assert_equal %i[error done], order, "done comes after the last result, once the error was reported"
  end

  def test_an_item_bert_cannot_carry_ends_the_feeding_too
    results = []
    errors = []
    node = pool_node do |pool|
      on_error { |e| errors << e }
      pool.map(:double, [1, Object.new, 3], done: -> { stop }) { |result| results << result }
    end
    run_node(node)
    assert_equal [2], results
    assert_equal [DripDrop::EncodeError], errors.map(&:class)
  end

  def test_an_enumerator_may_not_use_the_node_it_feeds
    errors = []
    node = pool_node do |pool|
      on_error { |e| errors << e }
      items = Enumerator.new do |out|
        out << 1
        out << stats.size # the node is busy submitting these very items
      end
      pool.map(:double, items, done: -> { stop }) { |_result| nil }
    end
    run_node(node)
    assert_equal [DripDrop::WrongThread], errors.map(&:class)
  end

  def test_a_handler_of_two_parameters_gets_the_task
    got = {}
    node = pool_node do |pool|
      finish = ->(key, value) { (got[key] = value) && got.size == 2 && stop }
      pool.defer(:context, nil) { |r| finish.call(:plain, r) }
      pool.defer(:context, nil, timeout: 30) { |r| finish.call(:timed, r) }
    end
    run_node(node)
    id, name, attempt, cancelled, time_left = got[:plain]
    assert_kind_of Integer, id
    assert_equal ["context", 1, false, nil], [name, attempt, cancelled, time_left]
    left = got[:timed].last
    assert_kind_of Float, left
    assert_operator left, :>, 0
    assert_operator left, :<=, 30
  end

  def test_the_task_answers_to_the_old_hash_keys
    got = nil
    node = DripDrop::Node.new do
      task(:old) { |_args, task| [task[:id] == task.id, task[:attempt], task["name"], task[:other], task.to_h.keys] }
      worker_pool(:p, local: 1).defer(:old) do |r|
        got = r
        stop
      end
    end
    @nodes = [node]
    run_node(node)
    assert_equal [true, 1, "old", nil, %i[id attempt name]], got
  end

  def test_a_running_task_sees_its_cancel
    seen = Thread::Queue.new
    outcome = nil
    node = DripDrop::Node.new do
      task(:wait_for_cancel) do |_args, task|
        seen << :started
        Thread.pass until task.cancelled?
        seen << :cancelled
        :gave_up
      end
      pool = worker_pool(:p, local: 1)
      id = pool.defer(:wait_for_cancel) do |_r, e|
        outcome = e
        stop
      end
      # Cancel once the task runs, from a thread that waits for it (the loop must not wait).
      Thread.new do
        seen.pop
        post { pool.cancel(id) }
      end
    end
    @nodes = [node]
    run_node(node)
    assert_kind_of DripDrop::Cancelled, outcome
    assert_equal :cancelled, Timeout.timeout(LIMIT) { seen.pop }
  end

  def test_an_unknown_pool_is_no_such_pool_and_still_a_no_such_route
    node = DripDrop::Node.new
    @nodes = [node]
    error = assert_raises(DripDrop::NoSuchPool) { node.pool(:nope) }
    assert_kind_of DripDrop::NoSuchRoute, error
    assert_match(/nope/, error.message)
  end
end
