"""llama.cpp in a supervised child process, so a native crash costs one answer, not the app.

`WorkerModel` has the llama.cpp backend's interface; the model itself lives in a worker
process (worker_main.py), as Ollama runs its models in runner processes. When the worker
dies (SIGSEGV, SIGILL, SIGABRT, an OOM kill), the call in progress raises `ModelCrashed`
with one line naming the signal, a new worker is started at once, and the next call works.
Web users waiting in the same batch hear of the crash; nobody else notices.

The configuration a worker runs is one shown to work on this CPU (probe.py): the first
start with a configuration decodes a short and a long prompt before it says it is ready,
and the verdict is cached. A configuration that crashes is never used again here.
Not here: the decoding (llama.py, run inside the worker), the choice of backend (loader.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Iterator

from app.errors import ModelCrashed, ModelError
from app.llm.base import GenerationStats, ModelBase
from app.llm.probe import ProbeVerdicts
from app.llm.llama import MAX_PARALLEL, check_gguf
from app.llm.sharing import BatchOutput, BatchSharer


def exit_description(returncode: int | None) -> str:
    """'signal 11, SIGSEGV' or 'exit code 1', for a process's return code."""
    if returncode is not None and returncode < 0:
        try:
            return f"signal {-returncode}, {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


class _Worker:
    """One child process and the socket to it."""

    def __init__(self, command: list[str], spec: dict):
        parent, child = socket.socketpair()
        env = dict(os.environ, PYTHONFAULTHANDLER="")  # a crash is reported by the parent, in one line
        self.proc = subprocess.Popen([*command, str(child.fileno()), json.dumps(spec)],
                                     pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env, cwd=_package_root())
        child.close()
        self.conn = Connection(parent.detach())

    def died(self) -> str:
        """Wait for the process to end (it has closed its socket) and describe how it ended."""
        self.conn.close()
        try:
            return exit_description(self.proc.wait(timeout=10))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return exit_description(self.proc.wait())

    def stop(self) -> None:
        self.conn.close()  # the worker's recv sees EOF and returns
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _package_root() -> str:
    """The folder that holds the `app` package, so `python -m app.llm.worker_main` finds this copy."""
    return str(Path(__file__).resolve().parents[2])


class WorkerModel(ModelBase):
    can_stream = True
    can_score = True
    supports_schema = True
    can_batch = True
    worker_command = [sys.executable, "-m", "app.llm.worker_main"]  # + socket fd and spec (tests swap in a crashing one)

    def __init__(self, path: Path, *, n_ctx: int = 2048, threads: int | None = None, seed: int = 42,
                 extra_bufts: bool | None = None, cache_dir: Path | None = None, notify: Callable[[str], None] | None = None):
        self.path = Path(path)
        check_gguf(self.path)
        self.name = self.path.name
        self._options = {"n_ctx": n_ctx, "threads": threads, "seed": seed}
        self._verdicts = ProbeVerdicts(self.path, cache_dir)
        self._forced = extra_bufts
        self._notify = notify or (lambda line: print(line, file=sys.stderr))
        self.lock = threading.Lock()  # one request on the socket at a time
        self._sharer = BatchSharer(self._decode_batch, MAX_PARALLEL)
        self.crashes = 0
        self._worker: _Worker | None = None
        self._info: dict = {}
        self._pending: tuple[_Worker, bool, list[bool]] | None = None
        self._spawn(self._verdicts.candidates(self._forced))  # it loads while the caller goes on (the index syncs)

    # -- the worker's life -------------------------------------------------------------

    def _spawn(self, candidates: list[bool]) -> None:
        """Start a worker in the first configuration left; `_ready` waits for it."""
        if not candidates:
            raise ModelError(f"llama.cpp crashes on this CPU with {self.path.name} in every configuration tried. "
                             "Rebuild it without native CPU flags or pass --llm-url.")
        extra, rest = candidates[0], candidates[1:]
        spec = {"path": str(self.path), "options": {**self._options, "extra_bufts": extra}, "probe": not self._verdicts.known(extra)}
        self._pending = (_Worker(self.worker_command, spec), extra, rest)

    def _ready(self) -> _Worker:
        """The running worker, once it has loaded (and, the first time, probed) its configuration;
        a configuration whose worker dies meanwhile is recorded as unsafe and the next one tried."""
        while self._worker is None:
            if self._pending is None:
                self._spawn(self._verdicts.candidates(self._forced))
            worker, extra, rest = self._pending
            self._pending = None
            try:
                status, info = worker.conn.recv()
            except (EOFError, OSError):
                how = worker.died()
                self._verdicts.record(extra, False)
                self._notify(f"llama.cpp crashed on this CPU with {self._verdicts.describe(extra)} ({how}); "
                             f"using {self._verdicts.describe(False)} from now on.")
                self._spawn(rest)
                continue
            if status != "ok":
                worker.stop()
                raise ModelError(info)
            self._verdicts.record(extra, True)
            self._worker, self._info = worker, {**info, "extra_bufts": extra}
        return self._worker

    def _info_of(self, key: str):
        if self._info:  # known since the first worker was ready: no need to wait for the lock
            return self._info[key]
        with self.lock:
            self._ready()
            return self._info[key]

    @property
    def parameters(self) -> int:
        return self._info_of("parameters")

    @property
    def context_size(self) -> int:
        return self._info_of("context_size")

    @property
    def threads(self) -> int:
        return self._info_of("threads")

    @property
    def extra_bufts(self) -> bool:
        return self._info_of("extra_bufts")

    def _crashed(self) -> ModelCrashed:
        """The worker died mid-call: report how, and start a new one before anyone asks again."""
        how = self._worker.died()
        self._worker = None
        self.crashes += 1
        if self._info.get("extra_bufts"):
            self._verdicts.record(True, False)  # passed the probe, crashed later: not used again here
        try:
            self._spawn(self._verdicts.candidates(self._forced))
            self._ready()
            again = "it has been restarted; ask again"
        except ModelError as exc:
            again = f"it could not be restarted: {exc}"
        return ModelCrashed(f"The model crashed ({how}); {again}.")

    def close(self) -> None:
        with self.lock:
            for worker in (self._worker, self._pending[0] if self._pending else None):
                if worker is not None:
                    worker.stop()
            self._worker = self._pending = None

    def worker_pid(self) -> int | None:
        """The worker's process id (tests kill it to prove a crash costs one answer)."""
        return self._worker.proc.pid if self._worker else None

    # -- requests ----------------------------------------------------------------------

    def _call(self, op: str, kwargs: dict, on_piece: Callable[[int, str], None] | None = None):
        """One request under the lock; pieces go to `on_piece`; the result, or the worker's error."""
        with self.lock:
            conn = self._ready().conn
            try:
                conn.send((op, kwargs))
                while True:
                    message = conn.recv()
                    if message[0] != "piece":
                        break
                    if on_piece:
                        on_piece(message[1], message[2])
            except (EOFError, OSError):
                raise self._crashed() from None
        if message[0] == "err":
            raise ModelError(message[1])
        return message[1]

    def count_tokens(self, text: str) -> int:
        return self._call("count", {"text": text})

    def clear_cache(self) -> None:
        self._call("clear", {})

    def score_labels(self, messages: list[dict], labels: list[str], *, prefix: str = "") -> dict[str, float]:
        return self._call("score", {"messages": messages, "labels": labels, "prefix": prefix})

    def generate(self, messages, *, max_tokens=128, temperature=0.0, schema=None, stats: GenerationStats | None = None) -> Iterator[str]:
        """Streams through a queue-free generator: the request holds the lock while it is read,
        and a reader that stops early cancels the rest of the reply."""
        with self.lock:
            conn = self._ready().conn
            finished = False
            try:
                conn.send(("generate", {"messages": messages, "max_tokens": max_tokens, "temperature": temperature, "schema": schema}))
                while True:
                    message = conn.recv()
                    if message[0] != "piece":
                        finished = True
                        break
                    yield message[2]
            except (EOFError, OSError):
                finished = True
                raise self._crashed() from None
            finally:
                if not finished:  # the reader stopped early: tell the worker, and read up to its last message
                    try:
                        conn.send(("cancel", {}))
                        while (message := conn.recv())[0] == "piece":
                            pass
                    except (EOFError, OSError):
                        self._crashed()
        if message[0] == "err":
            raise ModelError(message[1])
        if stats is not None:
            for key, value in message[1].items():
                setattr(stats, key, value)

    def generate_many(self, conversations: list[list[dict]], *, max_tokens: int = 128, temperature: float = 0.0,
                      stats: GenerationStats | None = None, on_piece: Callable[[int, str], None] | None = None) -> list[str]:
        """As llama.py's: concurrent callers share batches (sharing.py), decoded in the worker."""
        if not conversations:
            return []
        return self._sharer.generate_many(conversations, max_tokens=max_tokens, temperature=temperature, stats=stats, on_piece=on_piece)

    def _decode_batch(self, conversations, max_tokens: int, temperature: float, on_piece) -> BatchOutput:
        return self._call("batch", {"conversations": conversations, "max_tokens": max_tokens, "temperature": temperature}, on_piece)
