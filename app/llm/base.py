"""The model interface every backend implements, and what each backend declares it can do.

A backend turns chat messages into a stream of text pieces. Capabilities are declared as
class attributes (never probed with getattr):
- `can_stream`: pieces arrive as they are produced.
- `supports_schema`: with `schema` set, the reply is JSON valid against that schema
  (llama.cpp enforces it with a grammar; the HTTP backend and the stub repair what they get
  with app/llm/jsonfix.py).
- `can_score`: `score_labels()` gives the log-probability of each of a few fixed answers
  (needs the model's logits in this process). Call it only when `can_score` is true;
  `ModelBase.score_labels` raises otherwise.
Calls on one instance are serialised by the backend itself.
Not here: choosing and building a backend (loader.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, runtime_checkable

from app.errors import ModelError


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
    can_score: bool
    supports_schema: bool
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

    # Parallel replies: `can_batch` is True when `generate_many` decodes the chats together
    # (llama.cpp: parallel sequences in one context); otherwise it runs them one after another.
    can_batch: bool

    def generate_many(
        self,
        conversations: list[list[dict]],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stats: GenerationStats | None = None,
        on_piece: Callable[[int, str], None] | None = None,
    ) -> list[str]:
        """One reply per chat; `on_piece(i, text)` streams reply i; `stats` gets the totals."""
        ...

    @property
    def context_size(self) -> int: ...

    def score_labels(self, messages: list[dict], labels: list[str], *, prefix: str = "") -> dict[str, float]:
        """Log-probability of each label as the start of the reply. Only when `can_score`."""
        ...


class ModelBase:
    """What a backend can do, declared; every backend inherits from this and sets its own."""

    name = "model"
    can_stream = False
    can_score = False
    supports_schema = False
    can_batch = False
    parameters: int | None = None  # weight count when the backend knows it (llama.cpp does), else None

    def score_labels(self, messages: list[dict], labels: list[str], *, prefix: str = "") -> dict[str, float]:
        raise ModelError(f"{self.name} cannot score labels (can_score is False); "
                         "use a method that generates the label instead.")


def generate_each(model, conversations: list[list[dict]], *, max_tokens: int = 128, temperature: float = 0.0,
                  stats: GenerationStats | None = None, on_piece: Callable[[int, str], None] | None = None) -> list[str]:
    """`generate_many` for backends without batching: the chats one after another, in order."""
    replies = []
    for i, messages in enumerate(conversations):
        one = GenerationStats()
        parts = []
        for piece in model.generate(messages, max_tokens=max_tokens, temperature=temperature, stats=one):
            parts.append(piece)
            if on_piece:
                on_piece(i, piece)
        replies.append("".join(parts))
        if stats is not None:
            if not stats.seconds_to_first_token and one.completion_tokens:
                stats.seconds_to_first_token = stats.seconds + one.seconds_to_first_token
            stats.prompt_tokens += one.prompt_tokens
            stats.completion_tokens += one.completion_tokens
            stats.reused_tokens += one.reused_tokens
            stats.llama_seconds += one.llama_seconds
            stats.seconds += one.seconds
    return replies
