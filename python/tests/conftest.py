"""conftest.py: where the tests find the fixtures (the HF goldens mirrored into the CMake build tree
by tests/fixtures.cmake, decompressed), the CLI binary and the ACI notes."""
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.environ.get("OPENMED_FIXTURES") or os.path.join(ROOT, "build", "fixtures")
CLI = os.environ.get("OPENMED_CLI") or os.path.join(ROOT, "build", "bin", "openmed")
GOLDEN_MODELS = sorted(os.listdir(os.path.join(FIXTURES, "hf", "models"))) if os.path.isdir(
    os.path.join(FIXTURES, "hf", "models")) else []


def golden(name):
    with open(os.path.join(FIXTURES, "hf", "models", name, "golden.json"), encoding="utf-8") as f:
        return json.load(f)


def model_dir(name):
    return os.path.join(FIXTURES, "hf", "models", name)


def aci_notes():
    with open(os.path.join(FIXTURES, "clinical", "aci_notes.jsonl"), encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


@pytest.fixture(scope="session", autouse=True)
def _fixtures_present():
    if not GOLDEN_MODELS:
        pytest.fail("no golden models under %s (configure the CMake build first, or set OPENMED_FIXTURES)" % FIXTURES)
