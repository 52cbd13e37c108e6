"""examples/python/one_api.py prints exactly what every language's one_api prints."""

import os
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples")


def test_the_one_api_scenario_prints_the_expected_lines():
    out = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "python", "one_api.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    with open(os.path.join(EXAMPLES, "one_api", "expected.txt")) as expected:
        assert out.stdout == expected.read()
