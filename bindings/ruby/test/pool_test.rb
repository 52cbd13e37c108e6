# frozen_string_literal: true

require_relative "test_helper"

class PoolTest < Minitest::Test
  include DripDropTest

  class Maths < DripDrop::Node
    task(:add) { |args| args["a"] + args["b"] }
  end

  # A Ruby worker process: prints "ready" once started, then serves its tasks.
  WORKER = <<~RUBY
    require "dripdrop"
    $stdout.sync = true
    worker = DripDrop::Worker.new(ARGV[0], concurrency: 2, heartbeat: 0.2)
    worker.task(:pid) { |_args| Process.pid }
    worker.task(:slow_pid) do |seconds|
      sleep seconds
      Process.pid
    end
    worker.task(:fail) { |_args| raise ArgumentError, "no good" }
    worker.task(:spin) do |seconds|
      # Busy, holding the GVL all along.
      stop_at = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
      nil while Process.clock_gettime(Process::CLOCK_MONOTONIC) < stop_at
      Process.pid
    end
    worker.start
    puts "ready"
    worker.join
  RUBY

  def test_a_local_pool_runs_ruby_tasks_with_defer_and_map
    results = {}
    mapped = []
    node = DripDrop::Node.new do
      task(:double) { |x| x * 2 }
      task(:context) { |_args, task| [task[:name], task[:attempt], task[:id].is_a?(Integer)] }
      pool = worker_pool(:local, local: 2)
      pool.defer(:double, 21) { |r| results[:double] = r }
      pool.defer(:context) { |r| results[:context] = r }
      pool.map(:double, 1..100, done: -> { stop }) { |result, index| mapped << [index, result] }
    end
    run_node(node)
    assert_equal 42, results[:double]
    assert_equal ["context", 1, true], results[:context]
    assert_equal (0...100).map { |i| [i, (i + 1) * 2] }, mapped.sort
  ensure
    node&.close
  end

  def test_class_tasks_serve_a_local_pool
    result = nil
    node = Maths.new do
      worker_pool(:maths, local: 1).defer(:add, "a" => 2, "b" => 3) do |r|
        result = r
        stop
      end
    end
    run_node(node)
    assert_equal 5, result
  ensure
    node&.close
  end

  def test_a_task_exception_arrives_as_remote_error
    error = nil
    node = DripDrop::Node.new do
      task(:boom) { |_args| raise ArgumentError, "bad input" }
      worker_pool(:p, local: 1).defer(:boom, nil) do |_result, e|
        error = e
        stop
      end
    end
    run_node(node)
    assert_kind_of DripDrop::RemoteError, error
    assert_equal "ArgumentError", error.remote_class
    assert_equal "bad input", error.remote_message
    assert(error.remote_backtrace.any? { |line| line.include?("pool_test.rb") }, error.remote_backtrace)
  ensure
    node&.close
  end

  def test_timeout_cancel_and_backpressure
    outcomes = {}
    node = DripDrop::Node.new do
      task(:sleep) do |seconds|
        sleep seconds
        :slept
      end
      pool = worker_pool(:p, local: 2, max_pending: 3)
      pool.defer(:sleep, 5, timeout: 0.1) { |_r, e| outcomes[:timeout] = e }
      id = pool.defer(:sleep, 5) { |_r, e| outcomes[:cancel] = e }
      pool.defer(:sleep, 0.01) { |r, _e| outcomes[:done] = r }
      begin
        pool.defer(:sleep, 0)
      rescue DripDrop::Backpressure => e
        outcomes[:backpressure] = e
      end
      pool.cancel(id)
      every(0.01) { stop if outcomes.size == 4 }
    end
    run_node(node)
    assert_kind_of DripDrop::TimeoutError, outcomes[:timeout]
    assert_kind_of DripDrop::Cancelled, outcomes[:cancel]
    assert_equal :slept, outcomes[:done]
    assert_kind_of DripDrop::Backpressure, outcomes[:backpressure]
  ensure
    node&.close
  end

  def test_ruby_workers_in_other_processes_serve_a_pool
    pids = Hash.new(0)
    failure = nil
    node = DripDrop::Node.new
    pool = node.worker_pool(:remote, "tcp://127.0.0.1:*", heartbeat: 0.2)
    workers = Array.new(2) { ruby_process(WORKER, pool.endpoint) }
    workers.each { |w| assert_equal "ready", next_line(w) }
    # Slow enough tasks that both workers (concurrency 2 each) are busy at once.
    finished = 0
    finish_one = -> { node.stop if (finished += 1) == 2 }
    node.after(0) do
      pool.map(:slow_pid, Array.new(40, 0.02), done: finish_one) { |pid| pids[pid] += 1 }
      pool.defer(:fail) do |_r, e|
        failure = e
        finish_one.call
      end
    end
    run_node(node)
    assert_equal 40, pids.values.sum
    assert_equal workers.map(&:pid).sort, pids.keys.sort
    assert_equal "ArgumentError", failure&.remote_class
  ensure
    workers&.each { |w| finish(w) }
    node&.close
  end

  def test_tasks_of_a_killed_worker_run_elsewhere
    pids = Hash.new(0)
    node = DripDrop::Node.new
    pool = node.worker_pool(:remote, "tcp://127.0.0.1:*", heartbeat: 0.1, liveness: 3)
    workers = Array.new(2) { ruby_process(WORKER, pool.endpoint) }
    workers.each { |w| assert_equal "ready", next_line(w) }
    killed = false
    node.after(0) do
      pool.map(:slow_pid, Array.new(60, 0.02), done: -> { node.stop }) do |pid|
        pids[pid] += 1
        if !killed && pids.values.sum == 10
          killed = true
          Process.kill("KILL", workers.first.pid)
        end
      end
    end
    run_node(node)
    assert_equal 60, pids.values.sum, "every task completed despite the kill"
    assert_operator pids[workers.last.pid], :>, 0
  ensure
    workers&.each { |w| finish(w) }
    node&.close
  end

  def test_a_long_ruby_task_does_not_make_its_worker_look_dead
    result = nil
    node = DripDrop::Node.new
    # Dead after 3 silent beats of 0.2 s; the task holds the worker's GVL for 1 s.
    pool = node.worker_pool(:remote, "tcp://127.0.0.1:*", heartbeat: 0.1, liveness: 3)
    worker = ruby_process(WORKER, pool.endpoint)
    assert_equal "ready", next_line(worker)
    node.after(0) do
      pool.defer(:spin, 1.0) do |pid|
        result = pid
        node.stop
      end
    end
    run_node(node)
    assert_equal worker.pid, result
    assert_equal 0, pool.stats["workers_lost"]
    assert_equal 0, pool.stats["retried"]
  ensure
    finish(worker) if worker
    node&.close
  end

  def test_ctrl_c_stops_a_worker
    io = ruby_process(WORKER, "tcp://127.0.0.1:1")
    assert_equal "ready", next_line(io)
    Process.kill("INT", io.pid)
    _, status = Timeout.timeout(LIMIT) { Process.wait2(io.pid) }
    refute status.success?, "Interrupt ends the worker's script"
    assert_match(/Interrupt/, io.read.to_s)
  ensure
    io&.close
  end
end
