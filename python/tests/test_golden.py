"""test_golden.py: Hugging Face parity from Python: create_pipeline over every golden model gives
HF's list of dicts (every aggregation strategy, the stride-32 runs and the batched run): labels,
words, offsets and indices exactly, scores within 1e-4; the tokenizer's ids and offsets exactly."""
import pytest

import openmed_c as openmed
from conftest import GOLDEN_MODELS, golden, model_dir

RUNS = {  # golden key -> create_pipeline arguments
    "none": {"aggregation_strategy": None},
    "simple": {"aggregation_strategy": "simple"},
    "first": {"aggregation_strategy": "first"},
    "average": {"aggregation_strategy": "average"},
    "max": {"aggregation_strategy": "max"},
    "simple_stride32": {"aggregation_strategy": "simple", "stride": 32},
    "first_stride32": {"aggregation_strategy": "first", "stride": 32},
}

_loader = openmed.ModelLoader(openmed.OpenMedConfig(local_only=True))


def assert_same(got, want, where):
    assert len(got) == len(want), "%s: %d entities, golden %d" % (where, len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        key = "entity_group" if "entity_group" in w else "entity"
        assert set(g) == set(w), "%s entity %d: keys %s, golden %s" % (where, i, sorted(g), sorted(w))
        for k in w:
            if k == "score":
                assert abs(g[k] - w[k]) <= 1e-4, "%s entity %d: score %.7f, golden %.7f" % (where, i, g[k], w[k])
            else:
                assert g[k] == w[k], "%s entity %d (%s): %s %r, golden %r" % (where, i, w[key], k, g[k], w[k])
        assert isinstance(g["score"], float) and isinstance(g["start"], int)


@pytest.mark.parametrize("name", GOLDEN_MODELS)
def test_pipelines_equal_hf(name):
    g = golden(name)
    texts = [t["text"] for t in g["texts"]]
    # the goldens are HF's pipelines: argmax labels (privacy-filter models default to Viterbi)
    for run, kwargs in RUNS.items():
        if not all(run in t["pipelines"] for t in g["texts"]):
            continue
        pipe = _loader.create_pipeline(model_dir(name), decoder="argmax", **kwargs)
        got = pipe(texts)
        assert len(got) == len(texts)
        for i, t in enumerate(g["texts"]):
            assert_same(got[i], t["pipelines"][run], "%s %s text %d" % (name, run, i))
        # one text alone gives a list of dicts, the same as inside the batch
        assert_same(pipe(texts[0]), g["texts"][0]["pipelines"][run], "%s %s text 0 alone" % (name, run))
    if "batch_simple_first8" in g:
        pipe = _loader.create_pipeline(model_dir(name), aggregation_strategy="simple", batch_size=4, decoder="argmax")
        got = pipe(texts[:8])
        for i, want in enumerate(g["batch_simple_first8"]):
            assert_same(got[i], want, "%s batch text %d" % (name, i))


@pytest.mark.parametrize("name", GOLDEN_MODELS)
def test_tokenizer_equals_hf(name):
    g = golden(name)
    tok = _loader.load_model(model_dir(name))["tokenizer"]
    for i, t in enumerate(g["texts"]):
        enc = tok.encode(t["text"])
        assert enc.ids == t["input_ids"], "%s text %d: ids differ" % (name, i)
        assert [list(o) for o in enc.offsets] == t["offsets"], "%s text %d: offsets differ" % (name, i)
        assert enc.special_tokens_mask == t["special_tokens_mask"], "%s text %d: special mask differs" % (name, i)


def test_load_model_shape():
    name = GOLDEN_MODELS[0]
    loaded = _loader.load_model(model_dir(name))
    assert set(loaded) == {"model", "tokenizer", "config"}
    model = loaded["model"]
    assert model.device == "cpu" and model.num_labels == len(model.id2label) > 1
    assert loaded["config"]["id2label"] == model.id2label
    assert model.max_length > 0
    # cached by name: the same model object
    assert _loader.load_model(model_dir(name))["model"] is model
    assert _loader.load_model(model_dir(name), force_reload=True)["model"] is not model
