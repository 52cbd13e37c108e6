# frozen_string_literal: true

module DripDrop
  VERSION = "0.1.0"
end
