"""Several callers' chats decoded in one batch: how concurrent web users share one model.

While a batch is being decoded, later calls wait; when it ends, the waiting calls with the
same settings (`max_tokens`, `temperature`) go into the next batch together, first come
first served, up to `limit` chats (a call with more chats than that runs alone). No thread
of its own: the first waiting caller decodes the next batch for everyone in it, so an idle
model costs nothing and a lone caller never waits for a timer. A failure is raised in every
call of that batch. Each call gets its own replies, streamed pieces and token counts.
Not here: the decoding itself (the backend's `run`, e.g. llama.py with parallel.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

from app.llm.base import GenerationStats


@dataclass
class BatchOutput:
    """What the backend's `run` returns for one batch: per chat, its reply and token counts."""

    replies: list[str]
    prompt_tokens: list[int]
    completion_tokens: list[int]
    reused_tokens: int = 0
    llama_seconds: float = 0.0
    seconds_to_first_token: float = 0.0
    seconds: float = 0.0


Run = Callable[[list[list[dict]], int, float, Callable[[int, str], None]], BatchOutput]


@dataclass
class _Call:
    conversations: list[list[dict]]
    max_tokens: int
    temperature: float
    on_piece: Callable[[int, str], None] | None
    stats: GenerationStats | None
    replies: list[str] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


class BatchSharer:
    """Concurrent `generate_many` calls, merged into shared batches (see the module doc)."""

    def __init__(self, run: Run, limit: int):
        self._run = run
        self.limit = limit
        self._cond = threading.Condition()
        self._waiting: list[_Call] = []
        self._busy = False
        self.batch_sizes: list[int] = []  # calls per batch decoded so far (the benchmark and tests read it)

    def generate_many(self, conversations: list[list[dict]], *, max_tokens: int, temperature: float,
                      stats: GenerationStats | None = None, on_piece: Callable[[int, str], None] | None = None) -> list[str]:
        call = _Call(conversations, max_tokens, temperature, on_piece, stats)
        with self._cond:
            self._waiting.append(call)
            while not call.done:
                if self._busy:
                    self._cond.wait()
                    continue
                batch = self._take()
                self._busy = True
                self._cond.release()
                try:
                    self._decode(batch)
                finally:
                    self._cond.acquire()
                    self._busy = False
                    self._cond.notify_all()
        if call.error is not None:
            raise call.error
        return call.replies

    def _take(self) -> list[_Call]:
        """The oldest waiting call and the later ones that can share its batch."""
        first = self._waiting[0]
        batch, chats = [], 0
        for call in self._waiting:
            same = (call.max_tokens, call.temperature) == (first.max_tokens, first.temperature)
            if same and (not batch or chats + len(call.conversations) <= self.limit):
                batch.append(call)
                chats += len(call.conversations)
        for call in batch:
            self._waiting.remove(call)
        return batch

    def _decode(self, batch: list[_Call]) -> None:
        owner: list[tuple[_Call, int]] = [(call, i) for call in batch for i in range(len(call.conversations))]

        def on_piece(j: int, piece: str) -> None:
            call, i = owner[j]
            if call.on_piece:
                call.on_piece(i, piece)

        self.batch_sizes.append(len(batch))
        try:
            out = self._run([c for call in batch for c in call.conversations], batch[0].max_tokens, batch[0].temperature, on_piece)
        except BaseException as exc:  # every caller of this batch hears of it
            for call in batch:
                call.error, call.done = exc, True
            return
        start = 0
        for call in batch:
            end = start + len(call.conversations)
            call.replies = out.replies[start:end]
            if call.stats is not None:
                _fill(call.stats, out, start, end, alone=len(batch) == 1)
            call.done = True
            start = end


def _fill(stats: GenerationStats, out: BatchOutput, start: int, end: int, *, alone: bool) -> None:
    """One call's share of a batch: its own chats' tokens; the batch's times (it waited for them)."""
    stats.prompt_tokens = sum(out.prompt_tokens[start:end])
    stats.completion_tokens = sum(out.completion_tokens[start:end])
    stats.reused_tokens = out.reused_tokens if alone else 0
    stats.llama_seconds = out.llama_seconds
    stats.seconds_to_first_token, stats.seconds = out.seconds_to_first_token, out.seconds
