"""A deterministic stand-in model for tests and demos (no llama.cpp).

It answers from the prompt itself: the first numbered excerpt line (`[n] text`) in the
last user message becomes a one-sentence reply citing `[n]`. With a JSON schema it returns
a valid object whose enum choices depend only on the message content (a stable hash), so
results never depend on call order. Replies can also be queued (`enqueue`; with a schema a
queued reply is repaired to fit it, as jsonfix does for the HTTP backend), and every call
is recorded in `history` so tests can assert on prompts. `score_labels` mirrors the
llama backend's optional label scoring: the favoured label is a stable hash of the prompt.
`generate_many` answers several chats one after another (`can_batch = False`), each exactly
as `generate` would, in order, so tests of a flow that batches stay deterministic.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from typing import Iterator

from app.llm.base import GenerationStats, ModelBase, generate_each
from app.llm.jsonfix import constrained_reply


class StubModel(ModelBase):
    name = "stub"
    can_stream = True
    can_score = True
    supports_schema = True  # builds a valid instance, or repairs a queued reply (jsonfix)
    can_batch = False

    def __init__(self, *, delay: float = 0.0):
        self.delay = delay  # seconds per call, to test slow runs (the stub_delay setting)
        self.lock = threading.Lock()
        self.history: list[dict] = []
        self._queue: list[str] = []

    @property
    def context_size(self) -> int:
        return 8192

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def enqueue(self, *replies: str) -> None:
        self._queue.extend(replies)

    def generate(self, messages, *, max_tokens=128, temperature=0.0, schema=None, stats: GenerationStats | None = None) -> Iterator[str]:
        with self.lock:
            self.history.append({"messages": messages, "max_tokens": max_tokens, "temperature": temperature, "schema": schema})
            last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
            if self._queue:
                reply = self._queue.pop(0)
                if schema is not None:  # as a backend that promises schema-valid output would
                    reply, _ = constrained_reply(reply, schema)
            elif schema is not None:
                reply = json.dumps(_instance(schema, last))
            else:
                reply = _echo(last)
            if stats is not None:
                stats.prompt_tokens = sum(self.count_tokens(m["content"]) for m in messages)
                stats.completion_tokens = self.count_tokens(reply)
        if self.delay:
            time.sleep(self.delay)
        for piece in re.findall(r"\S+\s*|\s+", reply):
            yield piece

    def generate_many(self, conversations, *, max_tokens=128, temperature=0.0, stats: GenerationStats | None = None, on_piece=None) -> list[str]:
        return generate_each(self, conversations, max_tokens=max_tokens, temperature=temperature, stats=stats, on_piece=on_piece)

    def score_labels(self, messages, labels, *, prefix: str = "") -> dict[str, float]:
        """Log-probability-like scores: the hashed choice gets -0.5, the others -2.5."""
        with self.lock:
            self.history.append({"messages": messages, "labels": list(labels), "prefix": prefix, "kind": "score"})
            last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
            best = _choice(list(labels), last, "score")
        return {lab: (-0.5 if lab == best else -2.5) for lab in labels}


def _echo(prompt: str) -> str:
    m = re.search(r"^\[(\d+)\]\s*(?:[^:\n]{0,80}:\s)?(.+)$", prompt, re.M)
    if not m:
        return "The passages do not answer this."
    words = m.group(2).strip().strip('"“”').split()
    sentence = " ".join(words[:30]).rstrip(".,;:") + "."
    return f"{sentence} [{m.group(1)}]"


def _choice(options: list, prompt: str, salt: str):
    h = int(hashlib.sha256((salt + prompt).encode()).hexdigest(), 16)
    return options[h % len(options)]


def _instance(schema: dict, prompt: str, salt: str = ""):
    """A small valid instance of a (simple) JSON schema."""
    if "enum" in schema:
        return _choice(schema["enum"], prompt, salt)
    if "const" in schema:
        return schema["const"]
    t = schema.get("type")
    if t == "object":
        props = schema.get("properties", {})
        return {k: _instance(v, prompt, salt + k) for k, v in props.items()}
    if t == "array":
        n = max(schema.get("minItems", 1), 1)
        return [_instance(schema.get("items", {}), prompt, salt + str(i)) for i in range(n)]
    if t == "number":
        return 0.5
    if t == "integer":
        return 1
    if t == "boolean":
        return True
    return _echo(prompt)[: schema.get("maxLength", 200)]
