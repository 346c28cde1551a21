"""The bundled model re-stored as Q8_0 for speed: created once, reused, keyed by the source, optional."""

import pytest

from app.errors import InputError, ModelError
from app.llm.loader import default_model_path
from app.llm.llama import derived_gguf
from app.pipeline import model_options
from app.settings import Settings


def test_derived_file_is_made_once_and_reused(tmp_path):
    src = default_model_path()
    out = derived_gguf(src, "Q8_0", tmp_path)
    assert out != src and out.parent == tmp_path and out.read_bytes()[:4] == b"GGUF"
    stamp = out.stat().st_mtime_ns
    assert derived_gguf(src, "q8_0", tmp_path) == out  # cached, not rewritten
    assert out.stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob("*.tmp*"))


def test_unusable_source_falls_back_to_itself(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    assert derived_gguf(bad, "Q8_0", tmp_path / "cache") == bad


def test_bad_type_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="default_quant"):
        derived_gguf(default_model_path(), "Q2_K", tmp_path)
    with pytest.raises(InputError, match="default_quant"):
        Settings(data_dir=tmp_path, default_quant="Q2_K")


def test_only_the_bundled_model_is_re_stored(tmp_path):
    bundled = model_options(Settings(data_dir=tmp_path))
    assert bundled["cache_dir"] == tmp_path / "models" and bundled["default_quant"] == "Q8_0"
    custom = model_options(Settings(data_dir=tmp_path, model=str(tmp_path / "x.gguf")))
    assert "default_quant" not in custom and custom["cache_dir"] == tmp_path / "models"  # the probe's verdicts only
