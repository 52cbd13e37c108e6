# frozen_string_literal: true

require "dripdrop/native"

module DripDrop
  # Any value as BERT (what a route would put on the wire for it).
  def self.encode(value)
    Native.encode(value)
  end

  # BERT bytes as a Ruby value.
  def self.decode(bytes)
    Native.decode(bytes)
  end
end
