"""test_analyze.py: analyze_text from Python equals the CLI's `openmed analyze` (the same
openmed_analyze) on ACI notes with the bundled disease model and a golden model, in OpenMed's
result shape; a list of texts equals each text alone; options reach the library."""
import json
import subprocess
import sys

import pytest

import openmed_c as openmed
from conftest import CLI, ROOT, aci_notes, model_dir

MAIN_SENTENCE = "The patient has cystic fibrosis."


def cli_entities(text, *args):
    out = subprocess.run([CLI, "analyze", "--format", "json", *args, text], capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    doc = doc[0] if isinstance(doc, list) else doc
    return [(e["text"], e["label"], e["start"], e["end"], round(e["confidence"], 4)) for e in doc["entities"]]


def py_entities(result):
    return [(e.text, e.label, e.start, e.end, round(e.confidence, 4)) for e in result.entities]


def assert_same_entities(got, want):
    """Spans and labels exactly equal; confidences within 1e-4 (a batch and a lone text may take
    differently blocked matmuls, so scores can differ in the last float bits)."""
    assert [g[:4] for g in got] == [w[:4] for w in want]
    for g, w in zip(got, want):
        assert abs(g[4] - w[4]) <= 1.0001e-4, (g, w)


def test_main_sentence():
    r = openmed.analyze_text(MAIN_SENTENCE)
    assert isinstance(r, openmed.PredictionResult) and r.text == MAIN_SENTENCE
    assert [(e.text, e.label) for e in r.entities] == [("cystic fibrosis", "DISEASE")]
    e = r.entities[0]
    assert MAIN_SENTENCE[e.start:e.end] == e.text and 0 < e.confidence <= 1
    assert e.metadata["sentence_index"] == 0 and e.metadata["sentence_text"] == MAIN_SENTENCE
    assert r.metadata["sentence_detection"] is True and r.metadata["medical_tokenizer"] is True
    assert r.model_name == "bundled/disease-ner" and r.processing_time >= 0 and r.timestamp
    d = json.loads(openmed.analyze_text(MAIN_SENTENCE, output_format="json"))
    assert d["entities"][0]["text"] == "cystic fibrosis" and set(d) >= {"text", "entities", "model_name", "metadata"}
    assert openmed.analyze_text(MAIN_SENTENCE, include_confidence=False).entities[0].confidence is None
    assert openmed.analyze_text(MAIN_SENTENCE, confidence_threshold=1.0).entities == []


@pytest.mark.parametrize("model", [None, "bert-cased", "deberta-v3"])
def test_same_as_cli(model):
    args = [] if model is None else ["--model", model_dir(model)]
    name = None if model is None else model_dir(model)
    notes = aci_notes()
    results = openmed.analyze_text(notes, name)
    assert len(results) == len(notes)
    for note, r in zip(notes, results):
        assert_same_entities(py_entities(r), cli_entities(note, *args))
        for e in r.entities:
            assert note[e.start:e.end] == e.text
        # a text alone gives what it gives inside the list
        assert_same_entities(py_entities(openmed.analyze_text(note, name)), py_entities(r))


def test_options():
    note = aci_notes()[0]
    plain = openmed.analyze_text(note)
    grouped = openmed.analyze_text(note, group_entities=True)
    assert len(grouped.entities) <= len(plain.entities)
    whole = openmed.analyze_text(note, sentence_detection=False)
    assert whole.metadata["sentence_detection"] is False and whole.metadata["sentence_count"] == 0
    raw = openmed.analyze_text(note, use_medical_tokenizer=False)
    assert raw.metadata["medical_tokenizer"] is False
    assert openmed.analyze_text(note, model_id=None).to_dict() ["entities"] == plain.to_dict()["entities"]
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.analyze_text(note, model_name="disease", model_id="disease")


def test_example_script_runs():
    out = subprocess.run([sys.executable, "%s/python/examples/openmed_style.py" % ROOT], capture_output=True,
                         text=True, check=True).stdout
    assert "cystic fibrosis" in out and "4829173" not in out
