"""test_errors.py: library failures arrive as Python exceptions carrying the library's status and
message (a bad path named in it); Python-side misuse raises TypeError/ValueError before any call."""
import pytest

import openmed_c as openmed


def test_bad_model_path_names_the_path(tmp_path):
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(openmed.OpenMedError) as e:
        openmed.ModelLoader(openmed.OpenMedConfig(local_only=True)).load_model(missing)
    assert missing in str(e.value)
    assert isinstance(e.value.status, openmed.Status) and e.value.status != openmed.Status.OK
    assert e.value.code == e.value.status.name.lower()


def test_broken_model_folder(tmp_path):
    (tmp_path / "config.json").write_text("{ not json")
    with pytest.raises(openmed.OpenMedError) as e:
        openmed.ModelLoader().load_model(str(tmp_path))
    assert str(tmp_path) in str(e.value)
    assert e.value.status in (openmed.Status.FORMAT, openmed.Status.CONFIG, openmed.Status.NOT_FOUND,
                              openmed.Status.IO)


def test_unavailable_device():
    with pytest.raises(openmed.OpenMedError) as e:
        openmed.ModelLoader().load_model("disease", device="cuda:7")
    assert e.value.status == openmed.Status.DEVICE and "cuda:7" in str(e.value)


def test_bad_options():
    loader = openmed.ModelLoader()
    with pytest.raises(openmed.InvalidArgumentError) as e:
        loader.create_pipeline("disease", aggregation_strategy="median")
    assert "median" in str(e.value) and isinstance(e.value, ValueError)
    with pytest.raises(openmed.InvalidArgumentError):
        loader.create_pipeline("disease", aggregation_strategy=None, stride=16)  # HF refuses stride without aggregation
    with pytest.raises(TypeError):
        loader.create_pipeline("disease", temperature=3)
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.analyze_text("text", confidence_threshold=2.0)
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.analyze_text("text", output_format="xml")
    with pytest.raises(TypeError):
        openmed.analyze_text("text", not_an_option=1)
    with pytest.raises(TypeError):
        openmed.analyze_text(b"bytes")


def test_bad_text():
    pipe = openmed.ModelLoader().create_pipeline("disease", aggregation_strategy="simple")
    with pytest.raises(openmed.InvalidArgumentError) as e:
        pipe("cut \0 here")
    assert "NUL" in str(e.value)
    with pytest.raises(openmed.InvalidArgumentError):
        openmed.analyze_text("lone \udc80 surrogate")
    assert pipe([]) == []


def test_config_file_errors(tmp_path):
    missing = str(tmp_path / "missing.toml")
    with pytest.raises(openmed.OpenMedError) as e:
        openmed.OpenMedConfig.from_file(missing)
    assert missing in str(e.value)
    bad = tmp_path / "config.toml"
    bad.write_text("device = cpu\nnot a line\n")
    with pytest.raises(openmed.ConfigError) as e:
        openmed.OpenMedConfig.from_file(str(bad))
    assert str(bad) in str(e.value) and ":2" in str(e.value)
    good = tmp_path / "good.toml"
    good.write_text('device = "cpu"\ndefault_org = "Acme"\n')
    cfg = openmed.OpenMedConfig.from_file(str(good))
    assert cfg.device == "cpu" and cfg.default_org == "Acme" and cfg.config_path == str(good)
    with pytest.raises(openmed.UnsupportedError):
        openmed.OpenMedConfig(backend="onnx")
