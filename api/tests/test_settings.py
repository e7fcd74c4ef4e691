"""API_RATE_LIMIT is checked when the settings load: a wrong value stops the start with a sentence."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


def load_settings(rate: str):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update({"DEBUG": "1", "API_RATE_LIMIT": rate, "PYTHONPATH": str(PROJECT)})
    code = "import gradesys.settings as s; print(s.API_RATE_LIMIT)"
    return subprocess.run([sys.executable, "-c", code], cwd="/", env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("rate", ["120/min", "5/s", "10000/day"])
def test_a_rate_per_period_is_taken(rate):
    result = load_settings(rate)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == rate


@pytest.mark.parametrize("rate", ["120", "0/min", "ten/min", "120/fortnight"])
def test_anything_else_stops_the_start_with_a_sentence(rate):
    result = load_settings(rate)
    assert result.returncode != 0
    assert "API_RATE_LIMIT must be a number of requests per period" in result.stderr
