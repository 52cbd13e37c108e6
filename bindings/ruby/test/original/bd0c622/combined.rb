# andrewvc/dripdrop at bd0c622, example/combined.rb: run unchanged by original_programs_test.rb except
# the lines marked "left out" (HTTP and WebSocket routes, and the EventMachine that
# drives them: not built) and "adapted" (EventMachine's own classes).
require 'dripdrop'
Thread.abort_on_exception = true #Always a good idea in multithreaded apps.

# Encapsulates our EM and ZMQ reactors
DripDrop::Node.new do
  # Define all our sockets
  route :stats_pub,      :zmq_publish,   'tcp://127.0.0.1:2200', :bind
  route :stats_sub1,     :zmq_subscribe, stats_pub.address, :connect
  route :stats_sub2,     :zmq_subscribe, stats_pub.address, :connect
# left out:   route :http_collector, :http_server,   'http://127.0.0.1:8080'
# left out:   route :http_agent,     :http_client,   http_collector.address
    
  stats_sub1.on_recv do |message|
    puts "Receiver 1: #{message.body}"
  end
  stats_sub2.on_recv do |message|
    puts "Receiver 2: #{message.body}"
  end
  
  i = 0
# left out:   http_collector.on_recv do |message,response|
# left out:     i += 1
# left out:     stats_pub.send_message(message)
# left out:     response.send_message(:name => 'ack', :body => {:seq => i})
# left out:   end

# left out:   EM::PeriodicTimer.new(1) do
# left out:     msg = DripDrop::Message.new('http/status', :body => "Success #{i}")
# left out:     http_agent.send_message(msg) do |resp_msg|
# left out:       puts "RESP: #{resp_msg.body['seq']}"
# left out:     end
# left out:   end
end.start! #Start the reactor and block until complete
