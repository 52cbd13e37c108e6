#!/usr/bin/env ruby
# frozen_string_literal: true

# http_load in Ruby: a control and a worker that speak the same protocol as the Rust
# `http_load` and examples/python/http_load.py (the `http_batch` task, its batch plan and its
# tally), so a Ruby control can use Rust and Python workers, and a Rust or Python control Ruby
# workers.
#
#   ruby examples/ruby/http_load.rb control --url http://127.0.0.1:8080/ --requests 10000 \
#       --bind tcp://127.0.0.1:2100 [--workers 1] [--connections 4] [--batch 500] [--json]
#   ruby examples/ruby/http_load.rb worker --connect tcp://127.0.0.1:2100 [--name NAME] \
#       [--connections C] [--concurrency N]
#
# The control binds a worker pool, waits for --workers workers, feeds them batches of requests
# with pool.map (a batch goes out only when a worker has room for it), merges the tallies and
# prints the report (as the Python control: exact latency counts merged, the same JSON).
# A worker runs each batch over the plan's number of keep-alive HTTP/1.1 connections (one
# Net::HTTP per connection, each on its own thread); --connections overrides that number,
# --concurrency runs that many batches at once (default 1).

require "json"
require "net/http"
require "optparse"
require "uri"
require "dripdrop"

module HttpLoad
  TASK = :http_batch
  UsageError = Class.new(StandardError)
  PERCENTILES = [["p50", 0.5], ["p90", 0.9], ["p99", 0.99], ["p99.9", 0.999], ["max", 1.0]].freeze

  module_function

  # How a request failed, as the Rust and Python workers name it.
  def error_kind(error)
    case error
    when Errno::ECONNREFUSED then "refused"
    when Net::OpenTimeout, Net::ReadTimeout, Net::WriteTimeout, Timeout::Error, Errno::ETIMEDOUT
      "timeout"
    when Errno::ECONNRESET, Errno::ECONNABORTED, Errno::EPIPE, EOFError then "reset"
    else "other"
    end
  end

  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Runs one batch (the Rust worker's plan format: url, requests, connections, timeout_ms,
  # rate (nil or requests/s), start_in_us) and returns its tally as three Hashes.
  def run_batch(plan, connections_override = nil)
    url = URI(plan.fetch("url"))
    raise ArgumentError, "#{url}: only http:// URLs" unless url.is_a?(URI::HTTP) && url.scheme == "http"

    path = url.request_uri
    timeout = plan.fetch("timeout_ms") / 1000.0
    requests = plan.fetch("requests")
    connections = [connections_override || plan.fetch("connections"), 1].max
    rate = plan["rate"].is_a?(Numeric) && plan["rate"].positive? ? plan["rate"].to_f : nil
    start_in_us = plan["start_in_us"].to_i
    statuses = Hash.new(0)
    errors = Hash.new(0)
    latency = Hash.new(0)
    lock = Mutex.new
    started = monotonic

    threads = Array.new([connections, requests].min) do |index|
      Thread.new do
        http = nil
        index.step(requests - 1, connections) do |j|
          # Paced (a Rust control's --rate): request j is due at its slot, and its latency
          # counts from then, so a slow server is not hidden by requests sent late.
          began = monotonic
          if rate
            due = started + (start_in_us + j * 1e6 / rate) / 1e6
            sleep(due - began) if due > began
            began = due
          end
          begin
            unless http
              http = Net::HTTP.new(url.host, url.port, nil) # no proxy: the target itself
              http.open_timeout = http.read_timeout = http.write_timeout = timeout
              http.max_retries = 0 # count every failure, as the other workers do
              http.start
            end
            response = http.request(Net::HTTP::Get.new(path))
            # Net::HTTP closes the socket itself after Connection: close, and reconnects.
            us = [((monotonic - began) * 1e6).to_i, 1].max
            lock.synchronize do
              statuses[response.code.to_i] += 1
              latency[us] += 1
            end
          rescue StandardError => e # every failure is counted by kind
            lock.synchronize { errors[error_kind(e)] += 1 }
            begin
              http&.finish
            rescue StandardError
              nil
            end
            http = nil
          end
        end
        begin
          http&.finish
        rescue StandardError
          nil
        end
      end
    end
    threads.each(&:join)
    [statuses, errors, latency]
  end

  def worker(opts)
    name = opts[:name] || "ruby:#{Process.pid}"
    connections = opts[:connections]
    w = DripDrop::Worker.new(opts.fetch(:connect), concurrency: opts[:concurrency] || 1, name: name)
    w.task(TASK) do |plan|
      statuses, errors, latency = run_batch(plan, connections)
      {
        "worker" => name,
        "statuses" => statuses.map { |code, n| [code, n] },
        "errors" => errors.map { |kind, n| [kind, n] },
        "latency_us" => latency.map { |us, n| [us, n] }
      }
    end
    puts "worker #{name} serving #{opts[:connect]}"
    $stdout.flush
    begin
      w.start!
    rescue Interrupt
      nil
    end
  end

  # The latency (ms) at quantile q of exact microsecond counts.
  def percentile(latency, q)
    total = latency.values.sum
    return 0.0 if total.zero?

    rank = q * total
    seen = 0
    latency.keys.sort.each do |us|
      seen += latency[us]
      return us / 1000.0 if seen >= rank
    end
    latency.keys.max / 1000.0
  end

  # The batches of the load, made as the pool asks for them.
  def batches(opts)
    Enumerator.new do |out|
      sent = 0
      while sent < opts[:requests]
        size = [opts[:batch], opts[:requests] - sent].min
        sent += size
        out << { "url" => opts[:url], "requests" => size, "connections" => opts[:connections],
                 "timeout_ms" => 5000, "rate" => nil, "start_in_us" => 0 }
      end
    end
  end

  def control(opts)
    statuses = Hash.new(0)
    errors = Hash.new(0)
    latency = Hash.new(0)
    per_worker = Hash.new(0)
    failed = []
    started = nil
    elapsed = nil
    progress = $stderr.tty?

    node = DripDrop::Node.new
    pool = node.worker_pool(:http, opts[:bind], :bind)
    puts "control listening on #{pool.endpoint}"
    $stdout.flush

    on_result = lambda do |_index, result, error|
      if error
        failed << error.message
        next
      end
      done = 0
      result.fetch("statuses").each do |code, n|
        statuses[code] += n
        done += n
      end
      result.fetch("errors").each do |kind, n|
        errors[kind.to_s] += n
        done += n
      end
      result.fetch("latency_us").each { |us, n| latency[us] += n }
      per_worker[result.fetch("worker").to_s] += done
    rescue StandardError => e # a malformed tally fails its batch, not the run
      failed << "bad tally: #{e.message}"
    end

    run = lambda do
      started = monotonic
      pool.map(TASK, batches(opts), done: lambda {
        elapsed = monotonic - started
        node.stop
      }, &on_result)
      next unless progress

      node.every(0.2) do
        done = statuses.values.sum + errors.values.sum
        rate = done / [monotonic - started, 1e-9].max
        filled = opts[:requests].positive? ? done * 30 / opts[:requests] : 30
        $stderr.print "\r[#{'#' * filled}#{' ' * (30 - filled)}] #{done}/#{opts[:requests]} " \
                      "requests, #{rate.round} req/s\e[K"
      end
    end

    # Wait for the workers, then run the load; all on one run of the loop.
    waiting = nil
    waiting = node.every(0.02) do
      if pool.stats["workers_alive"] >= opts[:workers]
        waiting.cancel
        run.call
      end
    end
    node.start!
    $stderr.print "\r\e[K" if progress
    node.close

    requests = statuses.values.sum + errors.values.sum
    report = {
      "requests" => requests,
      "seconds" => elapsed.round(3),
      "requests_per_second" => (requests / [elapsed, 1e-9].max).round(1),
      "latency_ms" => PERCENTILES.to_h { |name, q| [name, percentile(latency, q)] },
      "status_codes" => statuses.sort.to_h { |code, n| [code.to_s, n] },
      "errors" => errors.sort.to_h,
      "per_worker" => per_worker.sort.to_h,
      "failed_batches" => failed
    }
    if opts[:json]
      puts JSON.generate(report)
    else
      puts text(report, elapsed)
    end
    $stdout.flush
  end

  def text(report, elapsed)
    counts = ->(h) { h.empty? ? "none" : h.map { |k, n| "#{k}: #{n}" }.join(", ") }
    lines = [
      format("requests: %d in %.2f s, %.0f req/s", report["requests"], elapsed, report["requests_per_second"]),
      "latency ms: " + report["latency_ms"].map { |k, v| format("%s %.3f", k, v) }.join(", "),
      "status codes: #{counts.call(report['status_codes'])}",
      "errors: #{counts.call(report['errors'])}",
      "per worker: #{counts.call(report['per_worker'])}"
    ]
    lines.concat(report["failed_batches"].map { |f| "failed batch: #{f}" })
    lines.join("\n")
  end

  def positive(name)
    lambda do |value|
      n = Integer(value)
      raise OptionParser::InvalidArgument, "#{name} must be positive" unless n.positive?

      n
    end
  end

  def main(argv)
    mode = argv.shift
    opts = {}
    parser = OptionParser.new do |o|
      o.banner = <<~USAGE
        usage: http_load.rb control --url URL --requests N [--bind ADDR] [--workers K]
                                    [--connections C] [--batch B] [--json]
               http_load.rb worker --connect ADDR [--name NAME] [--connections C] [--concurrency N]
      USAGE
      case mode
      when "control"
        opts.merge!(bind: "tcp://0.0.0.0:2100", workers: 1, connections: 4, batch: 500, json: false)
        o.on("--url URL", "the URL to load (http:// only)") { |v| opts[:url] = v }
        o.on("--requests N", Integer, "requests in all") do |v|
          raise UsageError, "--requests must not be negative" if v.negative?

          opts[:requests] = v
        end
        o.on("--bind ADDR", "where workers connect (default tcp://0.0.0.0:2100)") { |v| opts[:bind] = v }
        o.on("--workers K", Integer, "workers to wait for (default 1)") { |v| opts[:workers] = v }
        o.on("--connections C", "keep-alive connections per batch (default 4)") do |v|
          opts[:connections] = positive("--connections").call(v)
        end
        o.on("--batch B", "requests per batch (default 500)") { |v| opts[:batch] = positive("--batch").call(v) }
        o.on("--json", "print the report as one JSON object") { opts[:json] = true }
      when "worker"
        o.on("--connect ADDR", "the control's pool address") { |v| opts[:connect] = v }
        o.on("--name NAME", "the name in reports (default ruby:PID)") { |v| opts[:name] = v }
        o.on("--connections C", "connections per batch, instead of the control's") do |v|
          opts[:connections] = positive("--connections").call(v)
        end
        o.on("--concurrency N", "batches at once (default 1)") do |v|
          opts[:concurrency] = positive("--concurrency").call(v)
        end
      end
    end
    if %w[-h --help help].include?(mode)
      puts parser.help
      return 0
    end
    begin
      parser.parse!(argv)
      raise UsageError, "which mode? control or worker" unless %w[control worker].include?(mode)
      raise UsageError, "unexpected #{argv.join(' ')}" unless argv.empty?

      required = mode == "control" ? %i[url requests] : %i[connect]
      missing = required.reject { |k| opts[k] }
      raise UsageError, "#{mode} needs #{missing.map { |k| "--#{k}" }.join(', ')}" if missing.any?
      if mode == "control" && (URI(opts[:url]).scheme != "http" || URI(opts[:url]).host.to_s.empty?)
        raise UsageError, "#{opts[:url]}: only http:// URLs"
      end
    rescue OptionParser::ParseError, UsageError, URI::InvalidURIError, ArgumentError => e
      warn "http_load.rb: #{e.message}"
      warn parser.help
      return 2
    end
    mode == "control" ? control(opts) : worker(opts)
    0
  rescue Interrupt # Ctrl-C in the control: no report
    130
  end
end

exit(HttpLoad.main(ARGV.dup)) if $PROGRAM_NAME == __FILE__
