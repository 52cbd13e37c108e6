# andrewvc/dripdrop at d1b661f, example/complex/server.rb: run unchanged by original_programs_test.rb except
# the lines marked "left out" (HTTP and WebSocket routes, and the EventMachine that
# drives them: not built) and "adapted" (EventMachine's own classes).
require 'dripdrop'
Thread.abort_on_exception = true

class ComplexExample < DripDrop::Node
  def initialize(mode=:all)
    super()
    @mode = mode
  end
  
  def action
    nodelet :ws_listener, WSListener do |n|
# left out:       n.route :ws_listener,  :websocket, 'ws://127.0.0.1:8080'
      n.route :broadcast_in, :zmq_subscribe, 'tcp://127.0.0.1:2200', :connect
      n.route :reqs_out,     :zmq_xreq,      'tcp://127.0.0.1:2201', :connect
    end
      
    nodelet :coordinator, Coordinator do |n|
      n.route :broadcast_out, :zmq_publish, 'tcp://127.0.0.1:2200', :bind
      n.route :reqs_in,       :zmq_xrep,    'tcp://127.0.0.1:2201', :bind
# left out:       n.route :reqs_htout,    :http_client, 'tcp://127.0.0.1:3000/endpoint'
    end
  end
end

class Coordinator < DripDrop::Node::Nodelet
  def run
    proxy_reqs
    heartbeat
  end

  def proxy_reqs
    reqs_in.on_receive do |message, response|
      puts "Proxying #{message.inspect} to htout"
# left out:       reqs_htout.send_message(message) do |http_response|
# left out:         puts "Received http response #{http_response.inspect} sending back"
# left out:         response.send_message(http_response)
# left out:       end
    end
  end
  
  def heartbeat
    every(1) do # adapted: EM::PeriodicTimer.new(1) do
      broadcast_out.send_message :name => 'tick', :body => Time.now.to_s
    end
  end
end

class WSListener < DripDrop::Node::Nodelet
  def initialize(*args)
    super
    @client_channel = [] # adapted: EM::Channel.new (its users are left out)
  end
  
  def run
    proxy_websockets
    broadcast_to_websockets
  end

  def broadcast_to_websockets
    # Receives messages from Broadcast Out
    broadcast_in.on_receive do |message|
      puts "Broadcast In recv: #{message.inspect}"
      @client_channel.push(message)
    end
  end

  def proxy_websockets
    sigs_sids = {} #Map connection signatures to subscriber IDs
     
# left out:     ws.on_open do |conn|
# left out:       puts "WS Connected"
# left out:       conn.send_message(DripDrop::Message.new('test'))
      
# left out:       sid = @client_channel.subscribe do |message|
# left out:         puts message.inspect
# left out:         conn.send_message(message)
# left out:       end
       
# left out:       sigs_sids[conn.signature] = sid
# left out:     end
# left out:     ws.on_close do |conn|
# left out:       puts "Closed #{conn.signature}"
# left out:       @client_channel.unsubscribe sigs_sids[conn.signature]
# left out:     end
# left out:     ws.on_error do |reason,conn|
# left out:       puts "Errored #{reason.inspect}, #{conn.signature}"
# left out:       @client_channel.unsubscribe sigs_sids[conn.signature]
# left out:     end

# left out:     ws.on_receive do |message,conn|
# left out:       puts "WS Recv #{message.name}"
# left out:       reqs_out.send_message(message) do |resp_message|
# left out:         puts "Recvd resp_message #{resp_message.inspect}, sending back to client"
# left out:         conn.send_message(resp_message)
# left out:       end
# left out:     end
  end
end   
    

puts "Starting..."
ComplexExample.new.start!
