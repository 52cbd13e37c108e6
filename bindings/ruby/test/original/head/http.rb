# andrewvc/dripdrop at d1b661f, example/http.rb: run unchanged by original_programs_test.rb except
# the lines marked "left out" (HTTP and WebSocket routes, and the EventMachine that
# drives them: not built) and "adapted" (EventMachine's own classes).
require 'dripdrop/node'
Thread.abort_on_exception = true

DripDrop::Node.new do
  addr = 'http://127.0.0.1:2200'
  
  i = 0 
# left out:   http_server(addr).on_receive do |msg,response|
# left out:     i += 1
# left out:     response.send_message(msg)
# left out:   end

# left out:   EM::PeriodicTimer.new(1) do
# left out:     client = http_client(addr)
# left out:     msg = DripDrop::Message.new('http/status', :body => "Success #{i}")
# left out:     client.send_message(msg) do |resp_msg|
# left out:       puts "RESP: #{resp_msg.inspect}"
# left out:     end
# left out:   end

  #Keep zmqmachine from spinning around using up all our CPU by creating a socket
  req = zmq_xreq('tcp://127.0.0.1:2091', :connect)
end.start!
