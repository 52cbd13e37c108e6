# frozen_string_literal: true

require "dripdrop/native"

module DripDrop
  # One peer of a websocket route (a browser), as the route's handlers get it:
  # +send_message(message_or_hash)+, +send_frame(string)+ on a raw route, +close+, and a
  # +signature+ unique among the route's connections (the original gem's key for a Hash of
  # subscribers). Two Connection objects naming the same peer are == and eql?, with the same
  # hash. Sending to one that closed raises DripDrop::ConnectionError. Made only by the
  # engine; the class is the extension's own.
  Connection = Native::Connection
end
