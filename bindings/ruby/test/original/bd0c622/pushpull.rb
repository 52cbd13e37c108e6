# andrewvc/dripdrop at bd0c622, example/pushpull.rb: run unchanged by original_programs_test.rb except
# where marked "adapted" (zmqmachine's timers (milliseconds) become the node's (seconds)).
require 'dripdrop/node'
Thread.abort_on_exception = true

DripDrop::Node.new do
  z_addr = 'tcp://127.0.0.1:2200'
   
  zmq_pull(z_addr, :connect).on_recv do |message|
    puts "Receiver 2 #{message.body}"
  end
  zmq_pull(z_addr, :connect).on_recv do |message|
    puts "Receiver 1 #{message.body}"
  end
  push = zmq_push(z_addr, :bind)

  i = 0
  every(0.8) do # adapted: zm_reactor.periodical_timer(800) do
    i += 1
    puts i
    push.send_message(:name => 'test', :body => "Test Payload #{i}")
  end
end.start!
