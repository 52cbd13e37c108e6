# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/cross_language"

# examples/ruby/one_api.rb, the one_api scenario (examples/one_api/README.md), prints exactly
# what every language must print.
class OneApiTest < Minitest::Test
  include CrossLanguage

  ONE_API_RB = File.join(ROOT, "examples", "ruby", "one_api.rb")
  EXPECTED = File.join(ROOT, "examples", "one_api", "expected.txt")

  def teardown
    kill_all
  end

  def test_the_ruby_one_api_prints_the_expected_lines
    program = spawn_child("one_api.rb", *CrossLanguage.ruby, ONE_API_RB)
    status, lines = program.finish
    assert status.success?, program.failure("exited with #{status.inspect}").message
    assert_equal File.read(EXPECTED).lines.map(&:chomp), lines
    assert_equal "", program.stderr
  end
end
