# frozen_string_literal: true

require "dripdrop/native"

module DripDrop
  # What a task handler that takes a second parameter gets (made by the engine):
  #
  #   task(:fetch) do |url, task|
  #     task.id            # the same on every attempt: an idempotency key
  #     task.name          # "fetch"
  #     task.attempt       # 1, more after a worker died under the task
  #     task.cancelled?    # the caller cancelled it, or its deadline passed
  #     task.time_left     # seconds until the caller's deadline (Float), or nil
  #   end
  #
  # Handlers written when this was a Hash keep working: task[:id], task[:attempt],
  # task[:name].
  class Task
    KEYS = %i[id attempt name].freeze

    # The task's id, attempt or name by key, as the Hash it replaces gave them; nil for any
    # other key.
    def [](key)
      key = key.to_sym if key.is_a?(String)
      KEYS.include?(key) ? public_send(key) : nil
    end

    def to_h
      KEYS.to_h { |key| [key, public_send(key)] }
    end

    def inspect
      "#<DripDrop::Task #{name} id=#{id} attempt=#{attempt}>"
    end
  end
end
