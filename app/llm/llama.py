"""The llama.cpp backend (llama-cpp-python), on CPU.

- The chat template comes from the GGUF metadata (llama-cpp-python's default).
- Threads: the free cores, chosen again before every call (cores.py), unless fixed by the
  `threads` setting; the context size is a setting (default 2048).
- One lock per instance: llama.cpp contexts are not thread-safe.
- `generate_many` (`can_batch = True`): several chats decoded as parallel sequences in this
  one context (parallel.py); the context is made with room for MAX_PARALLEL sequences and
  one KV cache they share, so an ordinary call still has the whole context size. Calls
  from several threads (web users) that meet while a batch runs share the next batch
  (sharing.py) instead of queueing one after another.
- JSON-schema output is enforced by llama.cpp's grammar sampler.
- `score_labels` (optional capability, `can_score = True`): the log-probability of each
  of a few fixed answers after a chat prompt, for label classification without sampling.
- Prefix reuse: llama-cpp-python keeps the KV cache of the previous prompt and evaluates
  only the tokens after the longest common prefix, so prompts put shared parts first.

The AMX trap: llama.cpp's "extra buffer types" (AMX tiles, repacked weights) die with SIGILL
on VMs that advertise AMX without enabling it, and segfaulted on some prompts where the kernel
does enable it. So a model loaded here uses them only when told to (`extra_bufts=True`); the
app runs this class inside a worker process (worker.py) that passes True only for a
configuration a probe has shown to work on this CPU (probe.py).

Speed (measured with `python bench/run.py`, see models.md): the bundled GGUF is Q4_1, a
type for which this llama.cpp has no fast CPU matrix kernel, so prompt processing runs at
about half the speed of the same weights stored as Q8_0. `derived_gguf` therefore writes
the bundled file once as Q8_0 into the data directory (setting `default_quant`; "off"
keeps Q4_1). Every Q4_1 value (d*q + m) is re-stored, not re-learned: F16 holds it almost
exactly, Q8_0 rounds it to 1/254 of its block's largest value (an added error about 1/8
of Q4_1's own step; greedy answers on the eval set are compared in models.md).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from app.errors import ModelError
from app.llm.base import GenerationStats, ModelBase
from app.llm.cores import ThreadChooser, auto_threads, usable_cores
from app.llm.sharing import BatchOutput, BatchSharer

GGUF_MAGIC = b"GGUF"
MAX_PARALLEL = 8  # sequences one context can decode at once (generate_many)
_LOAD_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet_c_output():
    """Silence what C code writes to file descriptors 1 and 2 (Python's own streams are flushed first)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def check_gguf(path: Path) -> None:
    """One-line, actionable errors for a path that cannot be a GGUF model."""
    hint = "Pass --model PATH to a .gguf file, or --model default for the bundled model."
    if not path.exists():
        raise ModelError(f"Model file not found: {path}. {hint}")
    if path.is_dir():
        raise ModelError(f"Model path is a directory, not a file: {path}. {hint}")
    if path.stat().st_size == 0:
        raise ModelError(f"Model file is empty (0 bytes): {path}. An interrupted download or copy? {hint}")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"Model file cannot be read: {path} ({exc.strerror}). Check its permissions. {hint}") from exc
    if magic != GGUF_MAGIC:
        raise ModelError(f"Not a GGUF model file: {path} (it does not start with 'GGUF'). {hint}")


@contextlib.contextmanager
def _model_params_override(context: dict | None = None, **fields):
    """Set llama_model_params fields that `Llama()` does not expose (e.g. use_extra_bufts),
    and likewise llama_context_params fields given in `context` (e.g. n_seq_max)."""
    import llama_cpp.llama as llama_module

    lib = llama_module.llama_cpp
    originals = {"llama_model_default_params": (lib.llama_model_default_params, fields),
                 "llama_context_default_params": (lib.llama_context_default_params, context or {})}

    def patched(original, values):
        def make():
            params = original()
            for k, v in values.items():
                if hasattr(params, k):
                    setattr(params, k, v)
            return params
        return make

    with _LOAD_LOCK:
        for name, (original, values) in originals.items():
            setattr(lib, name, patched(original, values))
        try:
            yield
        finally:
            for name, (original, _) in originals.items():
                setattr(lib, name, original)


# The types the bundled Q4_1 file may be re-stored as (llama_ftype values of llama.h).
DERIVED_TYPES = {"Q8_0": 7, "F16": 1}


def gguf_fingerprint(path: Path) -> str:
    """Size plus a hash of the first and last MiB: cheap, and changes when the file does."""
    import hashlib

    size = path.stat().st_size
    h = hashlib.sha1()
    with path.open("rb") as fh:
        h.update(fh.read(1 << 20))
        fh.seek(max(0, size - (1 << 20)))
        h.update(fh.read(1 << 20))
    return f"{size}-{h.hexdigest()[:12]}"


def derived_gguf(src: Path, quant: str, cache_dir: Path) -> Path:
    """`src` re-stored as `quant` ("Q8_0"/"F16"), written once under `cache_dir` and reused.

    The cached file's name carries the source's fingerprint, so a changed source gets a new
    file. Writes go to a temporary name first (an interrupted run leaves no half file). On
    any failure the source itself is returned: speed is an optimisation, never an error.
    """
    ftype = DERIVED_TYPES.get(quant.upper())
    if ftype is None:
        raise ModelError(f"default_quant must be one of {', '.join(DERIVED_TYPES)} or 'off', got {quant!r}.")
    src = Path(src)
    out = Path(cache_dir) / f"{src.stem}.{gguf_fingerprint(src)}.{quant.upper()}.gguf"
    with _LOAD_LOCK:
        if out.is_file() and out.stat().st_size > 0:
            return out
        import ctypes

        import llama_cpp

        tmp = out.with_name(out.name + f".tmp{os.getpid()}")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            params = llama_cpp.llama_model_quantize_default_params()
            params.ftype = ftype
            params.allow_requantize = True  # the source is already quantized
            params.nthread = usable_cores()
            with _quiet_c_output():  # llama.cpp prints a line per tensor (272 for the bundled model)
                failed = llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(), ctypes.byref(params)) != 0
            if failed:
                return src
            os.replace(tmp, out)
            return out
        except OSError:
            return src
        finally:
            tmp.unlink(missing_ok=True)


class LlamaModel(ModelBase):
    can_stream = True
    can_score = True
    supports_schema = True  # llama.cpp's grammar sampler enforces the schema
    can_batch = True

    def __init__(self, path: Path, *, n_ctx: int = 2048, threads: int | None = None, seed: int = 42, extra_bufts: bool | None = None):
        path = Path(path)
        check_gguf(path)
        try:
            import llama_cpp
        except ImportError as exc:
            raise ModelError("llama-cpp-python is not installed. Run: pip install -e .  (it compiles llama.cpp, a few minutes)") from exc
        self.extra_bufts = bool(extra_bufts)  # None: the safe configuration (module doc)
        self.path = path
        self.name = path.name
        self.threads = threads or auto_threads()
        self._choose_threads = ThreadChooser(threads)
        self.n_batch = 512  # tokens per prompt-processing batch (our prompts are shorter: one batch each)
        self.lock = threading.Lock()
        self._sharer = BatchSharer(self._decode_batch, MAX_PARALLEL)
        try:
            with _model_params_override({"n_seq_max": MAX_PARALLEL, "kv_unified": True}, use_extra_bufts=self.extra_bufts):
                self._llm = llama_cpp.Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=self.threads, n_threads_batch=self.threads,
                    n_batch=self.n_batch, seed=seed, verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"llama.cpp could not load {path}: {exc}. The file may be truncated or not a supported GGUF; re-download it or pass another --model.") from exc
        self.parameters = int(self._llm._model.n_params())

    @property
    def context_size(self) -> int:
        return self._llm.n_ctx()

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def clear_cache(self) -> None:
        """Forget the KV cache: the next call evaluates its whole prompt from an empty cache.

        For reproducible comparisons: llama.cpp's logits depend, in rounding, on where the
        tokens sit in the cache, which depends on earlier calls (tests/test_parallel.py).
        """
        import llama_cpp

        with self.lock:
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self._llm.ctx), True)
            self._llm.n_tokens = 0

    def _set_threads(self) -> None:
        """Before each call (under the lock): as many threads as there are free cores now."""
        n = self._choose_threads()
        if n != self.threads:
            import llama_cpp

            llama_cpp.llama_set_n_threads(self._llm.ctx, n, n)
            self.threads = n

    def generate(self, messages, *, max_tokens=128, temperature=0.0, schema=None, stats: GenerationStats | None = None) -> Iterator[str]:
        import llama_cpp

        kwargs = {}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        with self.lock:
            self._set_threads()
            t0 = time.perf_counter()
            first = None
            n = 0
            llama_cpp.llama_perf_context_reset(self._llm.ctx)  # so the counters below cover this call only
            try:
                stream = self._llm.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=temperature, top_k=1 if temperature <= 0 else 40,
                    repeat_penalty=1.1, stream=True, **kwargs,
                )
                for chunk in stream:
                    piece = chunk["choices"][0].get("delta", {}).get("content")
                    if piece:
                        if first is None:
                            first = time.perf_counter() - t0
                        n += 1
                        yield piece
            except ValueError as exc:  # e.g. "Requested tokens exceed context window"
                raise ModelError(f"The model could not process this prompt: {exc}") from exc
            finally:
                if stats is not None:
                    # llama.cpp's own counters: batched decodes are prompt tokens it evaluated,
                    # single-token decodes are generated tokens fed back; the KV cache holds
                    # prompt + fed-back tokens, so the rest of the prompt came from the cache.
                    perf = llama_cpp.llama_perf_context(self._llm.ctx)
                    held = self._llm.n_tokens
                    stats.completion_tokens = n
                    stats.prompt_tokens = max(0, held - perf.n_eval)
                    stats.reused_tokens = max(0, stats.prompt_tokens - perf.n_p_eval)
                    stats.llama_seconds = (perf.t_p_eval_ms + perf.t_eval_ms) / 1000
                    stats.tokens = list(self._llm.input_ids[:held])
                    stats.seconds_to_first_token = first or 0.0
                    stats.seconds = time.perf_counter() - t0

    def generate_many(self, conversations: list[list[dict]], *, max_tokens: int = 128, temperature: float = 0.0,
                      stats: GenerationStats | None = None, on_piece: Callable[[int, str], None] | None = None) -> list[str]:
        """Replies to several chats, decoded together as parallel sequences (see parallel.py).

        Calls from other threads that arrive while a batch runs are decoded together in the
        next one (sharing.py): concurrent web users share the model's batches.
        `on_piece(i, text)` streams reply i as it grows (called under the model lock: keep it
        short, e.g. put the piece on a queue). `stats` receives this call's own token counts.
        More chats than fit the context at once are decoded in several rounds.
        """
        if not conversations:
            return []
        return self._sharer.generate_many(conversations, max_tokens=max_tokens, temperature=temperature, stats=stats, on_piece=on_piece)

    def _decode_batch(self, conversations: list[list[dict]], max_tokens: int, temperature: float,
                      on_piece: Callable[[int, str], None]) -> BatchOutput:
        """One batch of chats as parallel sequences, under the model lock (BatchSharer's `run`)."""
        import codecs

        import llama_cpp

        from app.llm.parallel import common_prefix, decode_parallel, fit_groups

        prompts = [self._chat_prompt(m) for m in conversations]
        longest = max(len(p) for p in prompts)
        if longest + 8 > self.context_size:
            raise ModelError(f"A prompt ({longest} tokens) does not fit the context window ({self.context_size}).")
        decoders = [codecs.getincrementaldecoder("utf-8")("ignore") for _ in prompts]  # tokens may split characters
        texts: list[list[str]] = [[] for _ in prompts]
        counts = [0] * len(prompts)
        t0, first, reused = time.perf_counter(), None, 0

        def on_token(i: int, tok: int) -> None:
            nonlocal first
            counts[i] += 1
            piece = decoders[i].decode(self._llm.detokenize([tok]))
            if piece:
                first = first if first is not None else time.perf_counter() - t0
                texts[i].append(piece)
                on_piece(i, piece)

        with self.lock:
            self._set_threads()
            llama_cpp.llama_perf_context_reset(self._llm.ctx)
            groups = fit_groups([len(p) for p in prompts], common_prefix(prompts), max_tokens, self.context_size, MAX_PARALLEL)
            try:
                for group in groups:
                    budget = max_tokens if len(group) > 1 else min(max_tokens, self.context_size - len(prompts[group[0]]))
                    _, r = decode_parallel(self._llm, [prompts[i] for i in group], max_tokens=budget, temperature=temperature,
                                           on_token=lambda j, tok, group=group: on_token(group[j], tok))
                    reused += r
            except RuntimeError as exc:
                raise ModelError(f"The model could not process these prompts: {exc}") from exc
            finally:
                if hasattr(self._llm, "_requires_eval"):
                    self._llm._requires_eval = True  # the logits no longer belong to the cached prefix
                perf = llama_cpp.llama_perf_context(self._llm.ctx)
        return BatchOutput(["".join(t) for t in texts], [len(p) for p in prompts], counts, reused,
                           (perf.t_p_eval_ms + perf.t_eval_ms) / 1000, first or 0.0, time.perf_counter() - t0)

    def _chat_prompt(self, messages: list[dict]) -> list[int]:
        """The chat prompt as tokens, formatted with the GGUF's own chat template."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{self.name} has no chat template in its metadata; label scoring needs one.")
        eos = self._token_text(self._llm.token_eos())
        bos = self._token_text(self._llm.token_bos())
        res = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)(messages=messages)
        return self._llm.tokenize(res.prompt.encode("utf-8"), add_bos=not res.added_special, special=True)

    def _token_text(self, token: int) -> str:
        return self._llm.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

    def _next_logprobs(self):
        import llama_cpp
        import numpy as np

        # The logits of the last evaluated token, read through llama.h's own llama_get_logits
        # (Llama.eval no longer copies them into Llama.scores unless logits_all is set).
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits(self._llm.ctx), shape=(self._llm.n_vocab(),)).astype(np.float64)
        m = logits.max()
        return logits - m - np.log(np.exp(logits - m).sum())

    def score_labels(self, messages: list[dict], labels: list[str], *, prefix: str = "") -> dict[str, float]:
        """Sum of token log-probabilities of each label as the start of the reply.

        The prompt (chat template + `prefix`, e.g. '{"stance": "') is evaluated once, reusing
        the cached prefix of the previous call; each label is then scored token by token.

        This drives llama-cpp-python's KV-cache bookkeeping by hand, as its own
        create_completion does: `Llama.n_tokens` (tokens held in the cache), `Llama.input_ids`
        (which tokens), `Llama.eval()` and `Llama.ctx`. They are public attributes but not a
        documented API; written against llama-cpp-python 0.3.36. No private attribute
        (`_model`, `_ctx`) is used. tests/test_llama_backend.py
        (test_label_scores_follow_the_models_own_greedy_choice) fails if they move or change meaning.
        """
        base = self._chat_prompt(messages)
        if prefix:
            base = base + self._llm.tokenize(prefix.encode("utf-8"), add_bos=False, special=False)
        if len(base) + 8 > self.context_size:
            raise ModelError(f"The prompt ({len(base)} tokens) does not fit the context window ({self.context_size}).")
        out: dict[str, float] = {}
        with self.lock:
            self._set_threads()
            llm = self._llm
            common = 0
            for a, b in zip(llm.input_ids[: llm.n_tokens], base):
                if a != b:
                    break
                common += 1
            llm.n_tokens = min(common, len(base) - 1)  # re-evaluate at least one token for its logits
            llm.eval(base[llm.n_tokens:])
            first = self._next_logprobs()
            for label in labels:
                toks = llm.tokenize(label.encode("utf-8"), add_bos=False, special=False)
                lp = float(first[toks[0]])
                for prev, tok in zip(toks, toks[1:]):
                    llm.eval([prev])
                    lp += float(self._next_logprobs()[tok])
                llm.n_tokens = len(base)  # drop the label tokens again
                out[label] = lp
            # The context's logits now belong to a label token. Keep all but the prompt's last
            # token, so the next call re-evaluates it: create_completion samples at once from
            # whatever logits are there when it finds its whole prompt cached.
            llm.n_tokens = len(base) - 1
        return out
