"""Speed benchmark: our pipeline against raw llama.cpp, in one run on one machine.

    python bench/run.py                  # default model, 3 repetitions
    python bench/run.py --repeat 5 --model path/to/model.gguf
    python bench/run.py --default-quant off   # the bundled model as shipped (Q4_1)

Measures, in this order (all state in a temporary data dir, never the user's):
1. index: full build of a copy of seeds/ from scratch (cold: with embedder load; warm: a
   second empty store), then an incremental re-index after one article changes, asserting
   that only that article is re-embedded (SyncReport.passages_embedded).
2. `ask` and `compare` end to end on the loaded model (time to first token, total, split
   into retrieval, prompt building and model time). Every model call is recorded (its
   exact token ids), and peak RSS is read here, before the raw llama.cpp instance exists.
3. raw llama.cpp (`llama_cpp.Llama`, same model file, threads, context and batch size):
   prompt-processing and generation tokens/s on a fixed prompt, and a replay of exactly the
   token sequences the pipeline evaluated, each call with a fresh context (no prefix reuse)
   and the same output tokens fed back. The ratio ours / raw is taken per repetition, the
   pipeline run and its replay side by side, and the median is reported.

Writes bench/results/<timestamp>.json and bench/results/latest.json and prints a table.
Not here: quality (python -m app.eval) or batch throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ASK_QUESTIONS = [
    "Did the Chinese government deserve credit for DeepSeek's success?",
    "How did US export controls on chips affect DeepSeek?",
    "What did DeepSeek's success mean for Nvidia and other American tech companies?",
    "How did DeepSeek train its models with less computing power?",
    "What do the articles say about DeepSeek's founder Liang Wenfeng?",
    "Is DeepSeek a threat to American AI leadership?",
]
COMPARE_TOPICS = ["US export controls on chips", "the Chinese government's role in DeepSeek", "open-source AI models"]
FIXED_PROMPT_TOKENS = 512
FIXED_GEN_TOKENS = 64


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1 << 20) if sys.platform == "darwin" else r / 1024


class Recorder:
    """Wraps the pipeline's model and keeps what llama.cpp evaluated in every call."""

    def __init__(self, model):
        self._model = model
        self.calls: list[dict] = []

    def __getattr__(self, name):  # name, lock, context_size, count_tokens, can_score, ...
        return getattr(self._model, name)

    @property
    def context_size(self):
        return self._model.context_size

    def generate(self, messages, *, stats=None, **kw):
        from app.llm import GenerationStats

        stats = stats if stats is not None else GenerationStats()
        yield from self._model.generate(messages, stats=stats, **kw)
        self.calls.append({"kind": "generate", "tokens": list(stats.tokens or []), "prompt": stats.prompt_tokens,
                           "reused": stats.reused_tokens, "completion": stats.completion_tokens, "llama_s": stats.llama_seconds})

    def score_labels(self, messages, labels, **kw):
        out = self._model.score_labels(messages, labels, **kw)
        llm = self._model._llm  # score_labels leaves the prompt in the KV cache, all but its last token
        label_toks = [llm.tokenize(label.encode("utf-8"), add_bos=False, special=False) for label in labels]
        self.calls.append({"kind": "score", "tokens": list(llm.input_ids[: llm.n_tokens + 1]), "labels": label_toks})
        return out


class Raw:
    """Plain llama.cpp through llama_cpp.Llama, configured like the pipeline's model."""

    def __init__(self, model):
        import llama_cpp

        from app.llm.llama import _model_params_override

        with _model_params_override(use_extra_bufts=model.extra_bufts):
            self.llm = llama_cpp.Llama(model_path=str(model.path), n_ctx=model.context_size, n_threads=model.threads,
                                       n_threads_batch=model.threads, n_batch=model.n_batch, n_ubatch=model.n_batch, verbose=False)

    def _fresh(self):
        self.llm.reset()  # n_tokens = 0: the next eval starts from an empty KV cache

    def speed(self, tokens: list[int], n_gen: int) -> tuple[float, float]:
        """(prompt tokens/s, generation tokens/s): one batched prompt, then one token at a time."""
        self._fresh()
        t0 = time.perf_counter()
        self.llm.eval(tokens)
        t1 = time.perf_counter()
        for tok in tokens[:n_gen]:
            self.llm.eval([tok])
        t2 = time.perf_counter()
        return len(tokens) / (t1 - t0), n_gen / (t2 - t1)

    def replay(self, call: dict) -> tuple[float, float]:
        """(seconds, seconds to first token) to evaluate one recorded call from scratch."""
        toks = call["tokens"]
        self._fresh()
        t0 = time.perf_counter()
        if call["kind"] == "generate":
            n_prompt = call["prompt"]
            self.llm.eval(toks[:n_prompt])
            first = time.perf_counter() - t0
            for tok in toks[n_prompt:]:  # the generated tokens, fed back one by one as in generation
                self.llm.eval([tok])
        else:  # label scoring: the prompt, then each label's tokens but the last
            self.llm.eval(toks)
            first = time.perf_counter() - t0
            for label in call["labels"]:
                for tok in label[:-1]:
                    self.llm.eval([tok])
                self.llm.n_tokens = len(toks)
        return time.perf_counter() - t0, first


def replay_all(raw: Raw, calls: list[dict]) -> dict:
    secs, first = 0.0, None
    for c in calls:
        s, f = raw.replay(c)
        first = secs + f if first is None else first
        secs += s
    return {"seconds": secs, "first_token_s": first or 0.0, "calls": len(calls),
            "prompt_tokens": sum(c.get("prompt", len(c["tokens"])) for c in calls),
            "reused_tokens": sum(c.get("reused", 0) for c in calls)}


# --- the stages ---------------------------------------------------------------------

def bench_index(settings, seeds: Path) -> tuple[object, dict]:
    from app.corpus.chunks import chunk_article
    from app.corpus.articles import load_corpus
    from app.index.store import open_index
    from app.pipeline import build_pipeline

    t0 = time.perf_counter()
    pipe = build_pipeline(settings)
    cold = time.perf_counter() - t0
    full = pipe.sync_report
    # Warm full build: same process (embedder loaded), a second, empty store.
    warm = open_index(settings.data_dir / "warm-index", pipe.embedder).sync(load_corpus(seeds))
    # Incremental: change one article, re-sync; only its passages may be embedded again.
    changed = sorted(seeds.iterdir())[2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nAn added closing paragraph, so that this article's content hash changes.\n", encoding="utf-8")
    inc = pipe.reload()
    changed_id = next(a.id for a in pipe.articles if Path(a.path).name == changed.name)
    expect = len(chunk_article(pipe.article(changed_id)))
    assert inc.updated == [changed_id] and len(inc.unchanged) == len(pipe.articles) - 1, inc.summary()
    assert inc.passages_embedded == expect, f"re-embedded {inc.passages_embedded} passages, expected {expect} (one article)"
    noop = pipe.reload()
    assert noop.passages_embedded == 0, noop.summary()
    return pipe, {
        "articles": len(pipe.articles), "passages": len(pipe.passages),
        "full_cold_s": round(cold, 3), "embedder_load_s": round(pipe.load_seconds.get("embedder", 0), 3),
        "full_sync_s": round(full.seconds, 3), "full_warm_s": round(warm.seconds, 3), "full_embedded": full.passages_embedded,
        "incremental_s": round(inc.seconds, 3), "incremental_embedded": inc.passages_embedded, "incremental_expected": expect,
        "noop_s": round(noop.seconds, 3),
    }


def run_ask(pipe, rec: Recorder, question: str) -> dict:
    from app.answer.ask import ask_stream

    rec.calls.clear()
    t0 = time.perf_counter()
    first = None
    result = None
    for ev in ask_stream(pipe, question):
        if first is None and ev.kind in ("viewpoint", "answer") and ev.text:
            first = time.perf_counter() - t0
        if ev.kind == "done":
            result = ev.result
    total = time.perf_counter() - t0
    t = result.timing
    return {"question": question, "total_s": total, "first_token_s": first or total, "retrieval_s": t["retrieval_s"],
            "prompt_s": t.get("prompt_s", 0.0), "model_s": t["model_s"], "prompt_tokens": t["prompt_tokens"],
            "completion_tokens": t["completion_tokens"], "reused_tokens": t.get("reused_prompt_tokens", 0),
            "llama_s": sum(c.get("llama_s", 0.0) for c in rec.calls), "calls": list(rec.calls)}


def run_compare(pipe, rec: Recorder, topic: str) -> dict | None:
    try:
        from app.answer.compare import compare
    except ImportError:
        return None
    rec.calls.clear()
    t0 = time.perf_counter()
    res = compare(pipe, topic)
    total = time.perf_counter() - t0
    return {"topic": topic, "total_s": total, "retrieval_s": res.timing.get("retrieval_s", 0.0), "model_s": res.timing.get("model_s", 0.0),
            "calls": list(rec.calls)}


def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="default", help="default (bundled), or a path to a .gguf")
    ap.add_argument("--repeat", type=int, default=3, help="ask/compare repetitions (different questions), each replayed raw")
    ap.add_argument("--threads", type=int, default=0, help="0 = all usable cores")
    ap.add_argument("--default-quant", default=None, help="Q8_0, F16 or off (the bundled model only; default: the setting's default)")
    ap.add_argument("--no-compare", action="store_true", help="skip the compare stage")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for the JSON results")
    args = ap.parse_args(argv)

    from app.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="perspectives-bench-"))
    try:
        seeds = tmp / "seeds"
        shutil.copytree(ROOT / "seeds", seeds)
        extra = {"default_quant": args.default_quant} if args.default_quant else {}
        settings = Settings(data_dir=tmp / "data", seeds=seeds, model=args.model, threads=args.threads, **extra)
        res: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                                            "load_avg_start": os.getloadavg()}}
        print("index ...", flush=True)
        pipe, res["index"] = bench_index(settings, seeds)

        t0 = time.perf_counter()
        model = pipe.model
        res["model"] = {"name": model.name, "file": str(model.path), "load_s": round(time.perf_counter() - t0, 3), "threads": model.threads,
                        "n_ctx": model.context_size, "n_batch": model.n_batch, "extra_bufts": model.extra_bufts,
                        "default_quant": settings.default_quant if args.model in ("default", "") else None}
        rec = Recorder(model)
        pipe.set_model(rec)
        has_compare = not args.no_compare and _compare_available()
        print("warm-up ...", flush=True)
        run_ask(pipe, rec, "What is DeepSeek?")
        if has_compare:
            run_compare(pipe, rec, "DeepSeek's cost claims")
        res["peak_rss_mb_pipeline"] = round(peak_rss_mb(), 1)  # before the raw instance exists

        raw = Raw(model)
        fixed = raw.llm.tokenize((ROOT / "seeds" / sorted(os.listdir(ROOT / "seeds"))[0]).read_text(encoding="utf-8").encode())
        fixed = (fixed * 4)[:FIXED_PROMPT_TOKENS]
        asks, compares, speeds = [], [], []
        for i in range(args.repeat):  # pipeline run and its raw replay side by side
            print(f"round {i + 1}/{args.repeat} ...", flush=True)
            speeds.append(raw.speed(fixed, FIXED_GEN_TOKENS))
            a = run_ask(pipe, rec, ASK_QUESTIONS[i % len(ASK_QUESTIONS)])
            a["raw"] = replay_all(raw, a.pop("calls"))
            a["ratio"] = a["total_s"] / a["raw"]["seconds"]
            a["ratio_model_only"] = a["model_s"] / a["raw"]["seconds"]
            asks.append(a)
            if has_compare:
                c = run_compare(pipe, rec, COMPARE_TOPICS[i % len(COMPARE_TOPICS)])
                c["raw"] = replay_all(raw, c.pop("calls"))
                c["ratio"] = c["total_s"] / c["raw"]["seconds"]
                compares.append(c)
        res["raw"] = {"prompt_tokens": len(fixed), "gen_tokens": FIXED_GEN_TOKENS,
                      "pp_tok_s": med([s[0] for s in speeds]), "tg_tok_s": med([s[1] for s in speeds]), "runs": speeds}
        res["ask"] = {k: med([a[k] for a in asks]) for k in ("total_s", "first_token_s", "retrieval_s", "prompt_s", "model_s", "llama_s", "ratio", "ratio_model_only")}
        res["ask"].update(raw_s=med([a["raw"]["seconds"] for a in asks]), raw_first_token_s=med([a["raw"]["first_token_s"] for a in asks]),
                          prompt_tokens=med([a["prompt_tokens"] for a in asks]), reused_tokens=med([a["reused_tokens"] for a in asks]),
                          completion_tokens=med([a["completion_tokens"] for a in asks]), runs=asks)
        if compares:
            res["compare"] = {k: med([c[k] for c in compares]) for k in ("total_s", "retrieval_s", "model_s", "ratio")}
            res["compare"].update(raw_s=med([c["raw"]["seconds"] for c in compares]), calls=med([c["raw"]["calls"] for c in compares]), runs=compares)
        else:
            res["compare"] = None
        res["peak_rss_mb_total"] = round(peak_rss_mb(), 1)
        res["machine"]["load_avg_end"] = os.getloadavg()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(res, indent=1, default=str)
    (out / f"{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(text, encoding="utf-8")
    (out / "latest.json").write_text(text, encoding="utf-8")
    print(table(res))
    return 0


def _compare_available() -> bool:
    try:
        import app.answer.compare  # noqa: F401
    except ImportError:
        return False
    return True


def table(r: dict) -> str:
    m, a, c, ix, raw = r["model"], r["ask"], r["compare"], r["index"], r["raw"]
    rows = [
        ("model", f"{m['name']}  threads={m['threads']} n_ctx={m['n_ctx']} n_batch={m['n_batch']} extra_bufts={m['extra_bufts']}"),
        ("raw llama.cpp prompt processing", f"{raw['pp_tok_s']:.0f} tok/s ({raw['prompt_tokens']} tokens)"),
        ("raw llama.cpp generation", f"{raw['tg_tok_s']:.1f} tok/s ({raw['gen_tokens']} tokens)"),
        ("ask: total / raw replay", f"{a['total_s']:.2f} s / {a['raw_s']:.2f} s  -> ratio {a['ratio']:.2f} (model calls only {a['ratio_model_only']:.2f})"),
        ("ask: first token (raw)", f"{a['first_token_s']:.2f} s ({a['raw_first_token_s']:.2f} s)"),
        ("ask: retrieval / prompt / model", f"{a['retrieval_s']:.3f} s / {a['prompt_s']:.3f} s / {a['model_s']:.2f} s (llama.cpp itself {a['llama_s']:.2f} s)"),
        ("ask: tokens prompt (reused) / out", f"{a['prompt_tokens']:.0f} ({a['reused_tokens']:.0f}) / {a['completion_tokens']:.0f}"),
    ]
    if c:
        rows.append(("compare: total / raw replay", f"{c['total_s']:.2f} s / {c['raw_s']:.2f} s  -> ratio {c['ratio']:.2f} ({c['calls']:.0f} calls)"))
    else:
        rows.append(("compare", "skipped (app.compare not available)"))
    rows += [
        ("index: full, cold / warm", f"{ix['full_cold_s']:.2f} s / {ix['full_warm_s']:.2f} s ({ix['passages']} passages; embedder load {ix['embedder_load_s']:.2f} s)"),
        ("index: one article changed", f"{ix['incremental_s']:.2f} s, {ix['incremental_embedded']} passages re-embedded (no-op {ix['noop_s']:.2f} s)"),
        ("peak RSS (pipeline / + raw)", f"{r['peak_rss_mb_pipeline']:.0f} MB / {r['peak_rss_mb_total']:.0f} MB"),
        ("load average start / end", " / ".join(f"{x[0]:.1f}" for x in (r["machine"]["load_avg_start"], r["machine"]["load_avg_end"]))),
    ]
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


if __name__ == "__main__":
    sys.exit(main())
