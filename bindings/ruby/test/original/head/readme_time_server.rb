# andrewvc/dripdrop at d1b661f, README.md ("Normalized Interfaces"): run unchanged by
# original_programs_test.rb except where marked "adapted": the HTTP server and client
# become the zmq_xrep and zmq_xreq routes the README says the same code works with (with
# tcp:// for its http://, which ZeroMQ does not have), and EventMachine's timer the node's.
class MyApp < DripDrop::Node
  def action #Special method that gets executed on Node#start
    # Define some sockets, here we create an HTTP server, and
    # a client to it. :my_hts and :my_htc are custom names
    # that will be available after definition
    route :my_server, :zmq_xrep, 'tcp://127.0.0.1:2201', :bind # adapted: the README's own zmq line
    route :my_client, :zmq_xreq, 'tcp://127.0.0.1:2201', :connect # adapted: the README's own zmq line
    
    # Our http server is a simple time server
    my_server.on_receive do |message,response|
      response.send_message(:name => 'time', :body => {'time' => Time.now.to_s})
    end
    
    # Here, we setup a timer, and periodically poll the http server
    every(1) do # adapted: EM::PeriodicTimer.new(1) do
      # Messages must have a :name. They can optionally have a :body.
      # Additionally, they can set custom :head properties.
      my_client.send_message(:name => 'time_request') do |response_message|
        puts "The time is: #{response_message.body['time']}"
      end
    end
  end
end
 
#Start the app and block
MyApp.new.start!
