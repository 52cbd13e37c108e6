# frozen_string_literal: true

# A Ruby process watched by `dripdrop control`, configured by its environment alone
# (DRIPDROP_CONTROL, DRIPDROP_ROLE): it pushes COUNT messages to itself, prints "sent COUNT",
# then obeys files the test creates in DIR: `stick` makes a callback block for STICK seconds
# (the loop stuck, the process alive), `stop` stops it cleanly (a goodbye).
#
#   ruby control_child.rb DIR COUNT STICK

require "dripdrop"

$stdout.sync = true
dir = ARGV.fetch(0)
count = Integer(ARGV.fetch(1))
stick = Float(ARGV.fetch(2))

node = DripDrop::Node.new do
  route :inbox, :zmq_pull, "tcp://127.0.0.1:*", :bind
  route :out, :zmq_push, inbox.address, :connect
  inbox.on_receive { |_message| nil }
  message = DripDrop::Message.new("job", body: "x" * 32)
  left = count
  pump = lambda do
    while left.positive?
      begin
        out.send_message(message)
      rescue DripDrop::Backpressure
        after(0.001) { pump.call }
        break
      end
      left -= 1
    end
    puts "sent #{count}" if left.zero?
  end
  next_tick { pump.call }
  every(0.05) do
    stick_file = File.join(dir, "stick")
    if File.exist?(stick_file)
      File.delete(stick_file)
      puts "stuck"
      sleep stick
      puts "unstuck"
    end
    stop if File.exist?(File.join(dir, "stop"))
  end
end
node.start!
node.close
puts "stopped"
