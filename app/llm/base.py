"""The model interface every backend implements.

A backend turns chat messages into a stream of text pieces. With `schema` set, the output
must be JSON valid against that schema (llama.cpp enforces it with a grammar; the stub
builds a valid object). Calls on one instance are serialised by the backend itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterator, Protocol, runtime_checkable



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
