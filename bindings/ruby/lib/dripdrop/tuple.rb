# frozen_string_literal: true

module DripDrop
  # An Erlang tuple: an Array that goes on the wire as a tuple, not a list (as BERT::Tuple in
  # the bert gem, which is also sent as a tuple).
  class Tuple < Array
    def inspect
      "t#{super}"
    end
  end
end
