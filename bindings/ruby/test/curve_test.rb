# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"
require "fileutils"
require "open3"
require "pathname"
require "tmpdir"

# CURVE from Ruby with real parts: Ruby routes on both sides of a CURVE connection (keys in
# symbol- and string-keyed Hashes, Pathnames, a directory of the DRIPDROP_CURVE_DIR layout),
# a client whose key is not allowed refused and counted, a pool served only by the worker
# with an allowed key, files written by `dripdrop keygen` read here and files written here
# in the same format, and the errors that name a bad file. Ports are the system's; every wait
# polls against a deadline.
class CurveTest < Minitest::Test
  include DripDropTest

  def setup
    @dir = Dir.mktmpdir("dripdrop-curve")
    FileUtils.mkdir(File.join(@dir, "allowed"))
  end

  def teardown
    FileUtils.remove_entry(@dir)
  end

  def path(name)
    File.join(@dir, name)
  end

  # A new certificate saved as @dir/NAME.key and NAME.key_secret (by Ruby code), its public
  # file also in @dir/allowed when +allowed+.
  def certificate(name, allowed: false)
    cert = DripDrop::Certificate.generate
    cert.save(path(name))
    FileUtils.cp(path("#{name}.key"), path("allowed/#{name}.key")) if allowed
    cert
  end

  # A node whose errors are kept: refused handshakes are told to on_error (at most once a
  # second per route), which would otherwise print them.
  def quiet_node
    node = DripDrop::Node.new
    errors = []
    node.on_error { |e| errors << e }
    [node, errors]
  end

  # Only reports of refused handshakes reached on_error.
  def assert_only_refusals(errors)
    errors.each do |e|
      assert_kind_of DripDrop::ConnectionError, e
      assert_includes e.message, "CURVE handshakes"
    end
  end

  # Sends +name+ on +route+ unless its queue is full (a client not let in queues, then fills).
  def offer(route, name)
    route.send_message(name: name)
  rescue DripDrop::Backpressure
    nil
  end

  def test_a_curve_server_admits_the_allowed_client_and_counts_the_stranger
    certificate("server")
    certificate("good", allowed: true)
    certificate("stranger")
    got = []
    node, errors = quiet_node
    inbox = node.route(:inbox, :zmq_pull, "tcp://127.0.0.1:*", :bind,
                       curve: { certificate: path("server.key_secret"), allowed: path("allowed") })
    inbox.on_receive { |msg| got << msg.name }
    clients = %w[good stranger].map do |name|
      node.route(name, :zmq_push, inbox.address, :connect,
                 curve: { certificate: path("#{name}.key_secret"), server_certificate: path("server.key") })
    end
    node.every(0.01) do
      clients.each { |client| offer(client, client.name.to_s) }
      # Both ends count the refusal, each in its own time (the client when the server's ERROR
      # command reaches it): wait for both.
      routes = node.stats["routes"]
      node.stop if got.include?("good") && routes["inbox"]["auth_refused"] >= 1 &&
                   routes["stranger"]["auth_refused"] >= 1
    end
    run_node(node)
    assert_equal ["good"], got.uniq
    assert_operator node.stats["routes"]["stranger"]["auth_refused"], :>=, 1,
                    "a refused client counts the refusal too"
    assert_only_refusals(errors)
  ensure
    node&.close
  end

  def test_keys_made_by_dripdrop_keygen_in_a_directory_of_the_layout
    keys = {}
    %w[server client].each do |name|
      out, status = Open3.capture2e(CrossLanguage.dripdrop, "keygen", path(name))
      assert status.success?, out
      keys[name] = out[/^public key (\S+)$/, 1]
    end
    FileUtils.cp(path("client.key"), path("allowed/client.key"))
    assert_equal keys["server"], DripDrop::Certificate.load(path("server.key_secret")).public_z85
    assert_equal keys["client"], DripDrop::Certificate.load(Pathname(path("client.key"))).public_z85

    got = []
    node = DripDrop::Node.new
    # The layout's directory as the option: the binding route is the server, the connecting
    # ones clients (client.key_secret, checking server.key).
    inbox = node.route(:inbox, :zmq_pull, "tcp://127.0.0.1:*", :bind, curve: @dir)
    inbox.on_receive { |msg| got << msg.name }
    by_dir = node.route(:by_dir, :zmq_push, inbox.address, :connect, curve: @dir)
    # String keys, Pathnames and a key as bytes work the same.
    server_key = DripDrop::Certificate.load(path("server.key")).public_key
    by_keys = node.route(:by_keys, :zmq_push, inbox.address, :connect,
                         "curve" => { "certificate" => Pathname(path("client.key_secret")),
                                      "server_key" => server_key })
    node.every(0.01) do
      [by_dir, by_keys].each { |route| offer(route, route.name.to_s) unless got.include?(route.name.to_s) }
      node.stop if got.include?("by_dir") && got.include?("by_keys")
    end
    run_node(node)
    assert_equal %w[by_dir by_keys], got.uniq.sort
    assert_equal 0, node.stats["routes"]["inbox"]["auth_refused"]
  ensure
    node&.close
  end

  def test_a_pool_is_served_only_by_the_worker_with_an_allowed_key
    certificate("server")
    certificate("good", allowed: true)
    certificate("stranger")
    node, errors = quiet_node
    pool = node.worker_pool(:p, "tcp://127.0.0.1:*", :bind,
                            curve: { certificate: path("server.key_secret"), allowed: path("allowed") })
    workers = %w[good stranger].map do |name|
      worker = DripDrop::Worker.new(pool.endpoint, concurrency: 1,
                                                   curve: { certificate: path("#{name}.key_secret"),
                                                            server_certificate: path("server.key") })
      worker.task(:double) { |n| n * 2 }
      worker.start
    end
    results = {}
    node.after(0) do
      5.times { |n| pool.defer(:double, n) { |r, e| results[n] = e || r } }
    end
    node.every(0.01) { node.stop if results.size == 5 && pool.stats["auth_refused"] >= 1 }
    run_node(node)
    assert_equal (0...5).to_h { |n| [n, n * 2] }, results
    assert_equal 1, pool.stats["workers_alive"]
    assert_only_refusals(errors)
  ensure
    workers&.each do |worker|
      worker.stop
      worker.join
    end
    node&.close
  end

  def test_a_bad_certificate_is_a_certificate_error_naming_the_file
    certificate("server")
    missing = path("missing.key_secret")
    node = DripDrop::Node.new
    error = assert_raises(DripDrop::CertificateError) do
      node.route(:in, :zmq_pull, "tcp://127.0.0.1:*", :bind, curve: { certificate: missing })
    end
    assert_includes error.message, missing
    # A public certificate where the secret one is needed: named too.
    error = assert_raises(DripDrop::CertificateError) do
      node.route(:in, :zmq_pull, "tcp://127.0.0.1:*", :bind, curve: { certificate: path("server.key") })
    end
    assert_includes error.message, path("server.key")
    error = assert_raises(DripDrop::CertificateError) do
      node.worker_pool(:p, "tcp://127.0.0.1:*", :bind, curve: { certificate: missing })
    end
    assert_includes error.message, missing
    error = assert_raises(DripDrop::CertificateError) do
      DripDrop::Worker.new("tcp://127.0.0.1:9", curve: { certificate: missing, server_key: "x" * 40 })
    end
    assert_includes error.message, missing
    error = assert_raises(DripDrop::CertificateError) do
      DripDrop::Node.new(control: "tcp://127.0.0.1:9", control_curve: { certificate: missing })
    end
    assert_includes error.message, missing
    assert_raises(DripDrop::CertificateError) { DripDrop::Certificate.load(missing) }
    # A name that means nothing is not a certificate error.
    error = assert_raises(DripDrop::InvalidArgument) do
      node.route(:in, :zmq_pull, "tcp://127.0.0.1:*", :bind, curve: { certficate: missing })
    end
    assert_includes error.message, "certficate"
    assert_operator DripDrop::CertificateError, :<, DripDrop::Error
  ensure
    node&.close
  end

  def test_certificates_are_saved_and_loaded_in_the_zeromq_format
    made = DripDrop::Certificate.generate
    assert_equal [32, 40, 32], [made.public_key.bytesize, made.public_z85.size, made.secret_key.bytesize]
    assert_equal Encoding::BINARY, made.public_key.encoding
    assert_equal [path("a.key"), path("a.key_secret")], made.save(Pathname(path("a")))
    assert_equal 0o600, File.stat(path("a.key_secret")).mode & 0o777
    assert_match(/^curve\n    public-key = "#{Regexp.escape(made.public_z85)}"$/, File.read(path("a.key")))
    assert_raises(DripDrop::CertificateError) { made.save(path("a")) }
    made.save(path("a"), overwrite: true)

    loaded = DripDrop::Certificate.load(path("a.key_secret"))
    assert_equal [made.public_key, made.secret_key], [loaded.public_key, loaded.secret_key]
    assert_equal path("a.key_secret"), loaded.path
    public_only = DripDrop::Certificate.load(path("a.key"))
    refute public_only.secret?
    assert_nil public_only.secret_key
    assert_includes loaded.inspect, made.public_z85
    refute_includes loaded.inspect, File.read(path("a.key_secret"))[/secret-key = "(.*)"/, 1]
  end
end
