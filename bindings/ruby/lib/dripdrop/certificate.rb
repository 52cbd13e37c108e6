# frozen_string_literal: true

require "dripdrop/native"

module DripDrop
  # A CURVE certificate (made by the engine): a public key and, when this side owns it, the
  # secret key, kept in the files czmq, pyzmq's zmq.auth and `dripdrop keygen` read and write
  # (NAME.key, the public key, and NAME.key_secret, both keys, mode 0600):
  #
  #   cert = DripDrop::Certificate.generate
  #   cert.save("keys/worker-1")                        # keys/worker-1.key and .key_secret
  #   server = DripDrop::Certificate.load("keys/server.key")
  #   server.public_z85                                 # 40 characters of Z85
  #
  # Sockets are given keys by the +curve+ option (paths, or keys: +secret_key+ and
  # +server_key+ take +secret_key+ and +public_key+ as they are); see docs/security.md.
  class Certificate
    # Reads a certificate file (a String or a Pathname): a public file gives the public key,
    # a secret file both. A file that cannot be read or is not a certificate is a
    # DripDrop::CertificateError naming it.
    def self.load(path)
      load_file(File.path(path))
    end

    # Writes +base+.key and, with the secret key, +base+.key_secret (mode 0600); an existing
    # file is kept and DripDrop::CertificateError raised unless +overwrite+. Returns the
    # paths written.
    def save(base, overwrite: false)
      save_files(File.path(base), overwrite)
    end

    # Whether it holds the secret key (a certificate read from a .key file does not).
    def secret?
      !secret_key.nil?
    end

    # Shows the public key and the file, never the secret key.
    def inspect
      held = secret? ? "with its secret key" : "public"
      from = path ? " from #{path}" : ""
      "#<DripDrop::Certificate #{public_z85} #{held}#{from}>"
    end

    private_class_method :load_file
    private :save_files
  end
end
