# frozen_string_literal: true

module DripDrop
  # A timer of a node (every, after, next_tick): +cancel+ it before it fires.
  class Timer
    attr_reader :id

    def initialize(node, id)
      @node = node
      @id = id
    end

    # True if the timer was cancelled; false if it already fired (a one-shot) or was
    # cancelled before.
    def cancel
      @node.cancel_timer(self)
    end
  end
end
