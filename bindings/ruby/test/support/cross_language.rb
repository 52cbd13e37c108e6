# frozen_string_literal: true

require "json"
require "open3"
require "rbconfig"
require "socket"
require "tempfile"

# Helpers for the tests that run Ruby beside Rust and Python programs: where those programs
# are, and child processes whose stdout is read line by line with deadlines (never sleeps),
# always killed and reaped.
module CrossLanguage
  ROOT = File.expand_path("../../../..", __dir__)
  HTTP_LOAD_RB = File.join(ROOT, "examples", "ruby", "http_load.rb")
  HTTP_LOAD_PY = File.join(ROOT, "examples", "python", "http_load.py")
  # How long a child may take to print a line the test waits for.
  LINE_LIMIT = 20

  BUILD_LOCK = Mutex.new
  @built = {}

  # A Rust program of +package+ (an example by default): $env_var (as scripts/test-ruby and
  # scripts/test-python set them), else built with cargo into the workspace's target dir.
  def self.rust_program(name, env_var, package = "dripdrop-examples")
    given = ENV.fetch(env_var, "")
    unless given.empty?
      raise "#{env_var}=#{given} does not exist" unless File.executable?(given)

      return given
    end
    BUILD_LOCK.synchronize do
      @built[name] ||= begin
        target = ENV.fetch("CARGO_TARGET_DIR", "") # the workspace's target dir, not the gem's
        target = File.join(ROOT, "target") if target.empty? || target.include?("ruby-gem")
        out, status = Open3.capture2e({ "CARGO_TARGET_DIR" => target }, "cargo", "build", "-q",
                                      "-p", package, "--bin", name, chdir: ROOT)
        path = File.join(target, "debug", name)
        unless status.success? && File.executable?(path)
          raise "#{env_var} is not set and `cargo build -p dripdrop-examples --bin #{name}` " \
                "failed:\n#{out}"
        end
        path
      end
    end
  end

  def self.http_load
    rust_program("http_load", "DRIPDROP_HTTP_LOAD")
  end

  def self.pool_worker
    rust_program("pool_worker", "DRIPDROP_POOL_WORKER")
  end

  def self.xreq_xrep
    rust_program("xreq_xrep", "DRIPDROP_XREQ_XREP")
  end

  # The `dripdrop` tool (its control server).
  def self.dripdrop
    rust_program("dripdrop", "DRIPDROP_BIN", "dripdrop-cli")
  end

  # The Python with the dripdrop package installed (scripts/test-python installs it).
  def self.python
    @python ||= begin
      python = ENV.fetch("PYTHON", "python3")
      out, status = Open3.capture2e(python, "-c", "import dripdrop")
      unless status.success?
        raise "#{python} cannot import dripdrop (pip install ./bindings/python, as " \
              "scripts/test-python does):\n#{out}"
      end
      python
    end
  end

  # A ruby command line that loads the same dripdrop this process loaded (the installed gem,
  # or bindings/ruby/lib under -I).
  def self.ruby
    lib = $LOADED_FEATURES.find { |f| f.end_with?("/dripdrop.rb") }
    lib ? [RbConfig.ruby, "-I", File.dirname(lib)] : [RbConfig.ruby]
  end

  # A child process: stdout read line by line with deadlines, stderr kept in a file for
  # failure messages.
  class Child
    attr_reader :pid, :lines, :label

    def initialize(label, argv)
      @label = label
      @err = Tempfile.new("dripdrop-child")
      @out, writer = IO.pipe
      @pid = Process.spawn(*argv, out: writer, err: @err.path, in: File::NULL, chdir: ROOT)
      writer.close
      @buffer = +""
      @lines = []
      @eof = false
      @status = nil
    end

    # The rest of the first line (from now on) starting with +prefix+; raises with what the
    # child said if none comes within +limit+ seconds.
    def wait_for_line(prefix, limit: LINE_LIMIT)
      deadline = now + limit
      loop do
        while (line = take_line)
          return line[prefix.length..].strip if line.start_with?(prefix)
        end
        raise failure("ended before printing #{prefix.inspect}") if @eof

        left = deadline - now
        raise failure("printed no #{prefix.inspect} within #{limit} s") if left <= 0

        fill(left)
      end
    end

    # Waits for the child to exit on its own; its status and every line it printed.
    def finish(limit: LINE_LIMIT)
      deadline = now + limit
      until @eof
        left = deadline - now
        raise failure("did not exit within #{limit} s") if left <= 0

        fill(left)
      end
      take_line while @buffer.include?("\n")
      @lines << @buffer.dup unless @buffer.empty?
      @buffer.clear
      _, @status = Process.wait2(@pid) until @status
      [@status, @lines]
    end

    # Kills the child (if still running) and reaps it; safe to call twice.
    def kill
      unless @status
        begin
          Process.kill("KILL", @pid)
        rescue Errno::ESRCH
          nil
        end
        begin
          _, @status = Process.wait2(@pid)
        rescue Errno::ECHILD
          @status = :reaped
        end
      end
      @out.close unless @out.closed?
      @err.close!
    end

    def stderr
      File.read(@err.path)
    rescue StandardError
      ""
    end

    def failure(what)
      RuntimeError.new("#{@label} (pid #{@pid}) #{what}\nstdout:\n#{(@lines + [@buffer]).join("\n")}" \
                       "\nstderr:\n#{stderr}")
    end

    private

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    def take_line
      at = @buffer.index("\n")
      return nil unless at

      line = @buffer.slice!(0..at).chomp
      @lines << line
      line
    end

    def fill(limit)
      return unless @out.wait_readable(limit)

      @buffer << @out.read_nonblock(65_536)
    rescue EOFError
      @eof = true
    rescue IO::WaitReadable
      nil
    end
  end

  # Starts a child; the test kills it in its ensure (see +kill_all+).
  def spawn_child(label, *argv)
    child = Child.new(label, argv)
    (@children ||= []) << child
    child
  end

  def kill_all
    (@children || []).each(&:kill)
    @children = []
  end

  # The JSON object a program printed as one line.
  def json_line(lines, who = "the program")
    line = lines.find { |l| l.start_with?("{") }
    flunk "#{who} printed no JSON line: #{lines.inspect}" unless line
    JSON.parse(line)
  end

  # A TCP port nobody listens on: bound, then closed.
  def closed_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end
end
