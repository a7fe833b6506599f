"""test_api.py: the installed package's surface: version, typing files, the bundled library, models,
registry and policies inside it, OpenMed's names, configuration and registry look-ups."""
import os
import re

import openmed_c as openmed
from conftest import ROOT


def test_installed_package():
    here = os.path.dirname(openmed.__file__)
    expected = os.environ.get("OPENMED_C_EXPECT_INSTALLED")
    if expected:  # run by ctest: the package under test is the one pip installed, not the source tree
        assert os.path.realpath(here).startswith(os.path.realpath(expected)), here
    for f in ("py.typed", "_ffi.pyi"):
        assert os.path.exists(os.path.join(here, f)), f
    assert any(n.startswith("libopenmed.so") for n in os.listdir(os.path.join(here, "lib")))
    share = os.path.join(here, "share", "openmed")
    for f in ("models.jsonl", "models/disease-ner/config.json", "models/pii/model.safetensors",
              "policies/hipaa_safe_harbor.json"):
        assert os.path.exists(os.path.join(share, f)), f
    assert openmed.bundled_model_path("pii") == os.path.join(share, "models", "pii")


def test_distribution_metadata():
    from importlib import metadata
    assert metadata.version("openmed-c") == openmed.__version__
    for requirement in metadata.requires("openmed-c") or []:  # installed with --no-deps: present anyway
        metadata.version(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0))


def test_version_is_the_headers():
    with open(os.path.join(ROOT, "include", "openmed.h"), encoding="utf-8") as f:
        want = re.search(r'OPENMED_VERSION_STRING "([^"]+)"', f.read()).group(1)
    assert openmed.__version__ == want


def test_openmed_names():
    for name in ("analyze_text", "extract_pii", "deidentify", "reidentify", "ModelLoader", "OpenMedConfig",
                 "load_model", "get_config", "set_config", "PredictionResult", "DeidentificationResult",
                 "PIIEntity", "EntityPrediction", "OpenMedError"):
        assert hasattr(openmed, name), name
    assert set(openmed.__all__) <= set(dir(openmed))


def test_config_and_registry():
    cfg = openmed.OpenMedConfig(device="cpu", hf_token="hf_secret", num_threads=1)
    assert cfg.to_dict()["hf_token"] == "***"
    c = cfg.to_c()
    assert c.num_threads == 1
    loader = openmed.ModelLoader(cfg)
    models = loader.list_available_models()
    assert len(models) > 1000 and "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M" in models
    info = loader.get_model_info("disease_detection_tiny")
    assert info["repo_id"] == "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M" and isinstance(info["runnable"], bool)
    assert loader.get_model_info("no_such_model_anywhere") is None
    m = loader.load_model("pii")["model"]
    assert m.device == "cpu" and "FIRST_NAME" in " ".join(m.id2label.values())
    assert "pii" in loader.loaded_models()
    assert loader.unload_model("pii") and not loader.unload_model("pii")


def test_tokenizer_round_trip():
    tok = openmed.ModelLoader().load_model("disease")["tokenizer"]
    enc = tok.encode("The patient has cystic fibrosis.")
    assert enc.special_tokens_mask[0] == 1 and enc.offsets[0] == (0, 0)
    assert tok.decode(enc.ids, skip_special_tokens=True).lower() == "the patient has cystic fibrosis."
    assert tok("fibrosis")["input_ids"] == tok.encode("fibrosis").ids
