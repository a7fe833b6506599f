"""test_pii.py: extract_pii and deidentify from Python on the bundled PII model: no planted value
(the sweep's structured values, the names the model finds) survives any method, with or without a
mapping; offsets slice the original; keyed methods are stable under one key; reidentify undoes a
mapping; options reach the library; the Python result equals the CLI's on the same text and key."""
import json
import re
import subprocess

import pytest

import openmed_c as openmed
from conftest import CLI

NOTE = ("Patient John Smith (DOB 03/14/1962), MRN: 00482913, was seen by Dr. Emily Carter on March 3, 2021. "
        "Call (617) 555-0142 or email john.smith@example.com. SSN 123-45-6789. "
        "Records: https://portal.mercyhealth.org/records/88231 ; his daughter Maria Lopez (415.555.0199) "
        "visited on 2020-11-05. Assessment: type 2 diabetes, metformin 500 mg twice daily.\n")
VALUES = ["(617) 555-0142", "john.smith@example.com", "123-45-6789", "00482913",
          "https://portal.mercyhealth.org/records/88231", "415.555.0199"]
DATES = ["03/14/1962", "March 3, 2021", "2020-11-05"]
SECRET = "python-test-key-0123456789"


def digits(s):
    return re.sub(r"\D", "", s)


@pytest.fixture(scope="module")
def names():
    """The name words the model finds in NOTE (which ones is the model's business)."""
    found = openmed.extract_pii(NOTE)
    words = {w for e in found.entities if "NAME" in e.label for w in re.findall(r"[A-Za-z]{3,}", e.text)}
    return sorted(words)


def test_extract_pii_shape():
    r = openmed.extract_pii(NOTE)
    assert isinstance(r, openmed.PredictionResult) and r.text == NOTE and r.model_name == "bundled/pii"
    assert r.metadata["confidence_threshold"] == pytest.approx(0.5)
    for v in VALUES + DATES:
        assert any(v in e.text for e in r.entities), "planted %r not covered by an entity" % v
    prev_end = 0
    for e in r.entities:
        assert isinstance(e, openmed.PIIEntity)
        assert NOTE[e.start:e.end] == e.text and e.start >= prev_end
        assert e.entity_type == e.label and 0.0 <= e.confidence <= 1.0
        assert e.redacted_text is None and e.action is None and e.sources
        prev_end = e.end
    d = r.to_dict()
    assert d["entities"][0]["text"] == r.entities[0].text and json.dumps(d)


@pytest.mark.parametrize("method", openmed.DEIDENTIFICATION_METHODS)
@pytest.mark.parametrize("keep_mapping", [False, True])
def test_no_planted_value_survives(method, keep_mapping, names):
    r = openmed.deidentify(NOTE, method=method, keep_mapping=keep_mapping, secret=SECRET,
                           date_shift_days=40 if method == "shift_dates" else None)
    out = r.deidentified_text
    assert isinstance(r, openmed.DeidentificationResult) and r.method == method and r.original_text == NOTE
    for v in VALUES + ([] if method == "shift_dates" else DATES):
        assert v not in out, "%s leaks %r" % (method, v)
        if method != "remove":
            assert digits(v) not in digits(out) or len(digits(v)) < 4, "%s leaks the digits of %r" % (method, v)
    for v in DATES:
        assert v not in out, "%s leaks the date %r" % (method, v)
    for w in names:
        assert not re.search(r"\b%s\b" % w, out), "%s leaks a detected name" % method
    assert "metformin 500 mg twice daily" in out
    for e in r.pii_entities:
        assert NOTE[e.start:e.end] == e.text and e.action and e.redacted_text is not None
    assert (r.mapping is not None and len(r.mapping) > 0) == keep_mapping
    if keep_mapping:
        assert openmed.reidentify(out, r.mapping) == NOTE
    if method == "shift_dates":
        assert r.metadata["date_shift_days"] == 40
    assert r.metadata["random_key"] is False


def test_keys_and_options():
    a = openmed.deidentify(NOTE, method="hash", secret=SECRET)
    b = openmed.deidentify(NOTE, method="hash", secret=SECRET.encode())
    c = openmed.deidentify(NOTE, method="hash", secret="another key")
    assert a.deidentified_text == b.deidentified_text != c.deidentified_text
    mask = openmed.deidentify(NOTE)
    assert mask.method == "mask" and "[" in mask.deidentified_text
    assert mask.metadata["confidence_threshold"] == pytest.approx(0.7)
    shifted = openmed.deidentify(NOTE, shift_dates=True, patient_key="patient-17", secret=SECRET)
    again = openmed.deidentify(NOTE, shift_dates=True, patient_key="patient-17", secret=SECRET)
    assert shifted.method == "shift_dates" and shifted.deidentified_text == again.deidentified_text
    assert shifted.metadata["date_shift_days"] != 0
    seeded = openmed.deidentify(NOTE, method="shift_dates", seed="s1", keep_year=True)
    assert "1962" in seeded.deidentified_text and "03/14/1962" not in seeded.deidentified_text
    deny = openmed.deidentify("Seen at Zorblax clinic today.", deny_list=["Zorblax"])
    assert "Zorblax" not in deny.deidentified_text
    assert any("deny" in e.sources for e in deny.pii_entities)
    policy = openmed.deidentify(NOTE, policy="hipaa_safe_harbor", secret=SECRET)
    assert policy.metadata["policy"] == "hipaa_safe_harbor"
    assert "00482913" not in policy.deidentified_text
    texts = openmed.deidentify([NOTE, "Call 617-555-0100."], secret=SECRET)
    assert [t.deidentified_text for t in texts] == [mask.deidentified_text,
                                                     openmed.deidentify("Call 617-555-0100.").deidentified_text]


def test_errors_fail_closed():
    with pytest.raises(openmed.InvalidArgumentError) as e:
        openmed.deidentify(NOTE, method="scramble")
    assert e.value.status == openmed.Status.INVALID_ARGUMENT and "scramble" in str(e.value)
    with pytest.raises(openmed.UnsupportedError):
        openmed.deidentify(NOTE, method="aadhaar_mask")
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.deidentify(NOTE, method="mask", date_shift_days=5)  # needs shift_dates
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.deidentify(NOTE, shift_dates=False, method="shift_dates")
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.deidentify(NOTE, confidence_threshold=1.5)
    with pytest.raises(openmed.OpenMedError) as e:
        openmed.deidentify(NOTE, policy="/nonexistent/policy.json")
    assert "/nonexistent/policy.json" in str(e.value)
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.deidentify("bad \ud800 text")
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.extract_pii("a\0b")
    with pytest.raises(openmed.UnsupportedError):
        openmed.extract_pii(NOTE, lang="de")


@pytest.mark.parametrize("method", ["mask", "hash", "replace", "format_preserve"])
def test_same_as_cli(method, tmp_path):
    key = tmp_path / "key"
    key.write_text(SECRET + "\n")
    cli = subprocess.run([CLI, "pii", "deidentify", "--json", "--method", method, "--secret-file", str(key), NOTE],
                         capture_output=True, text=True, check=True)
    want = json.loads(cli.stdout)
    got = openmed.deidentify(NOTE, method=method, secret=SECRET)
    assert got.deidentified_text == want["deidentified_text"]
    assert [(e.start, e.end, e.label) for e in got.pii_entities] == \
        [(e["start"], e["end"], e.get("label", e.get("entity_type"))) for e in want["pii_entities"]]
