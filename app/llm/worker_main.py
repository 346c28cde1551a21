"""The model worker process: one llama.cpp model, served over a socket to its parent.

Run by worker.py as `python -m app.llm.worker_main FD SPEC_JSON`. Native code runs here, so a
crash inside llama.cpp (SIGSEGV, SIGILL, SIGABRT, an OOM kill) ends this process only; the
parent sees the socket close, reports the crash and starts a new worker.

Messages (pickled by multiprocessing's Connection):
- parent → worker: `(op, kwargs)` with op one of generate, batch, score, count, clear; or
  `("cancel", {})` while a generate streams (the parent stopped reading).
- worker → parent: `("piece", i, text)` while streaming, then `("ok", result)` or
  `("err", message)`. The first message after start is `("ok", info)` or `("err", message)`.
Not here: deciding the configuration or restarting (worker.py), decoding (llama.py).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from multiprocessing.connection import Connection

from app.errors import ModelError, describe
from app.llm.base import GenerationStats

# A short prompt and a long one, decoded once before the worker says it is ready when the
# parent asks for a probe: llama.cpp's AMX buffers crashed on some prompt shapes only.
PROBE_PROMPTS = ("Hello, my name is", " ".join(["The quick brown fox jumps over the lazy dog."] * 40))


def _probe(model) -> None:
    for text in PROBE_PROMPTS:
        "".join(model.generate([{"role": "user", "content": text}], max_tokens=4))
    model.generate_many([[{"role": "user", "content": t}] for t in PROBE_PROMPTS], max_tokens=4)


def _generate(model, conn: Connection, kwargs: dict):
    stats = GenerationStats()
    for piece in model.generate(kwargs.pop("messages"), stats=stats, **kwargs):
        conn.send(("piece", 0, piece))
        if conn.poll() and conn.recv()[0] == "cancel":
            break
    return dataclasses.asdict(stats)


def _batch(model, conn: Connection, kwargs: dict):
    return model._decode_batch(kwargs["conversations"], kwargs["max_tokens"], kwargs["temperature"],
                               lambda i, piece: conn.send(("piece", i, piece)))


def _handle(model, conn: Connection, op: str, kwargs: dict):
    if op == "generate":
        return _generate(model, conn, kwargs)
    if op == "batch":
        return _batch(model, conn, kwargs)
    if op == "score":
        return model.score_labels(**kwargs)
    if op == "count":
        return model.count_tokens(kwargs["text"])
    if op == "clear":
        return model.clear_cache()
    raise ModelError(f"Unknown request to the model worker: {op!r}")


def serve(conn: Connection, spec: dict) -> None:
    from app.llm.llama import LlamaModel

    try:
        model = LlamaModel(spec["path"], **spec["options"])
        if spec.get("probe"):
            _probe(model)
    except ModelError as exc:
        conn.send(("err", str(exc)))
        return
    conn.send(("ok", {"name": model.name, "parameters": model.parameters, "context_size": model.context_size,
                      "threads": model.threads, "extra_bufts": model.extra_bufts}))
    while True:
        try:
            op, kwargs = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if op == "cancel":
            continue  # a cancel that arrived after its generate had finished
        try:
            conn.send(("ok", _handle(model, conn, op, kwargs)))
        except ModelError as exc:
            conn.send(("err", str(exc)))
        except Exception as exc:  # a bug in this process: the parent reports it, the worker keeps serving
            conn.send(("err", f"The model worker failed: {describe(exc)}"))


def main(argv: list[str]) -> None:
    conn = Connection(int(argv[0]))
    serve(conn, json.loads(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
