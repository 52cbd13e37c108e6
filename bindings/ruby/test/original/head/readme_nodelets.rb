# andrewvc/dripdrop at d1b661f, README.md ("Composable Parts"): run unchanged by
# original_programs_test.rb except where marked "adapted" (EventMachine's timer becomes the
# node's).
class MyApp < DripDrop::Node
  def initialize(mode=:all)
    super()
    @mode = mode
  end
  
  def action
    # This will instantiate a new StatsCollector object, and define the
    # stats_raw and stats_filtered methods inside it.
    nodelet :stats_producer, StatsProducer do |n|
      n.route :stats_output, :zmq_push, 'tcp://127.0.0.1:2301', :bind
    end

    nodelet :stats_collector, StatsCollector do |n|
      n.route :stats_raw, :zmq_pull, 'tcp://127.0.0.1:2301', :connect
      n.route :stats_filtered, :zmq_push, 'tcp://127.0.0.1:2302', :bind
    end

    nodelet :stats_processor, StatsProcessor do |n|
      n.route :stats_ingress, :zmq_pull, 'tcp://127.0.0.1:2302', :connect
    end

    # The nodelets method gives you access to all defined nodelets as a hash
    # We created a #run method on each nodelet we call here.
    nodelets.each_value { |n| n.run }
  end
end

# You must subclass Nodelet
# The method #run here is merely a convention
class StatsProducer < DripDrop::Node::Nodelet
  def run
    every(1) do # adapted: EM::PeriodicTimer.new(1) do
      stats_output.send_message :name => 'stat', :body => Time.now.to_s
    end
  end
end

class StatsCollector < DripDrop::Node::Nodelet
  def run
    stats_raw.on_receive do |raw_stat_msg|
      stats_filtered.send_message(raw_stat_msg)
    end
  end
end

class StatsProcessor < DripDrop::Node::Nodelet
  # Initialize shouldn't be subclassed on a Nodelet, this gets called
  # After the nodelet is instantiated
  def configure
    @name_counts = Hash.new(0)
  end

  def run
    stats_ingress.on_receive do |message|
      @name_counts[message.name] += 1
      puts @name_counts.inspect
      puts "received message.body: " + message.body
    end
  end
end

MyApp.new.start!
