# frozen_string_literal: true

require_relative "lib/dripdrop/version"

Gem::Specification.new do |spec|
  spec.name = "dripdrop"
  spec.version = DripDrop::VERSION
  spec.authors = ["DripDrop contributors"]
  spec.summary = "Message-passing apps on ZeroMQ: a reactor, named routes, BERT messages " \
                 "and a distributed worker pool"
  spec.description = <<~DESC
    DripDrop makes message-passing apps easy to write on ZeroMQ: one reactor, named routes over
    ZeroMQ sockets, one message format (BERT), and a worker pool as easy as EM.defer that can be
    spread over any number of machines. The engine is native Rust (built when the gem is
    installed, so installing needs a Rust toolchain); Ruby, Python, C and Rust nodes talk to
    each other.
  DESC
  spec.homepage = "https://github.com/dripdrop/dripdrop"
  spec.license = "MIT"
  spec.required_ruby_version = ">= 3.0"

  # Listed by glob, not `git ls-files`: script/package builds the gem from a staged copy that
  # is not a git checkout. vendor/ is core's source, put there by script/package.
  spec.files = Dir.chdir(__dir__) do
    Dir.glob(%w[
      lib/**/*.rb
      ext/dripdrop/extconf.rb ext/dripdrop/Cargo.toml ext/dripdrop/Cargo.lock
      ext/dripdrop/.cargo/config.toml
      ext/dripdrop/src/**/*.rs ext/dripdrop/vendor/**/*
      README.md
    ]).select { |path| File.file?(path) }.sort
  end
  spec.require_paths = ["lib"]
  spec.extensions = ["ext/dripdrop/extconf.rb"]
end
