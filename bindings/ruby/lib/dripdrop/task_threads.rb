# frozen_string_literal: true

module DripDrop
  # Ruby threads that run the Ruby tasks handed to a native task queue (the engine's task
  # threads are Rust threads, which may not call Ruby).
  module TaskThreads
    # Starts +count+ threads serving +queue+ with +handlers+ (task name => callable).
    def self.start(queue, handlers, count, label)
      Array.new(count) do |i|
        Thread.new do
          Thread.current.name = "#{label}-#{i}"
          Thread.current.report_on_exception = false
          queue.serve(handlers)
        end
      end
    end

    # Ends the threads once no job waits (each within a tenth of a second).
    def self.stop(queue, threads)
      queue.close
      threads.each { |t| t.join(2) }
    end
  end
end
