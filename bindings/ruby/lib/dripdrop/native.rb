# frozen_string_literal: true

# The native extension (DripDrop::Native, DripDrop::Task), loaded after the Ruby classes it
# looks up at run time: the error classes (raised by name) and DripDrop::Tuple (made for
# tuples).
require "dripdrop/error"
require "dripdrop/tuple"
require "dripdrop/dripdrop_native"
