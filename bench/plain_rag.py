"""An ordinary single-prompt RAG, the yardstick for `perspectives ask` (bench/run.py).

The global top-k passages of the same index (no per-article retrieval, no BM25), one
prompt, one call to the same model, no checks: what a tutorial RAG over these articles
would do. `bench/run.py` times it against our full `ask` on the same questions and model.

As a whole process, over any article folder and data dir (bench/scale.py runs it this way,
beside `perspectives ask`; the index is synced first, as `ask` does):

    python bench/plain_rag.py "QUESTION" --seeds DIR --data-dir DIR [--model stub] [--json]

Not here: viewpoints, citations checks, anything the real flow does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

SYSTEM = "Answer the question using only the passages below. Cite passages as [n]. Be brief."


def top_passages(pipe, question: str, k: int) -> list:
    """The k passages of the whole corpus closest to the question (cosine), best first."""
    qvec = pipe.embedder.embed([question])[0]
    hits = [hit for art in pipe.articles for hit in pipe.index.query(qvec, art.id, k)]  # each article's best k, merged
    best = sorted(hits, key=lambda h: -h[1])[:k]
    by_id = {p.id: p for p in pipe.passages}
    return [by_id[pid] for pid, _ in best]


def plain_rag(pipe, question: str, *, k: int = 4, max_tokens: int = 160) -> dict:
    """Answer `question` in one model call over the global top-k passages; returns text, passage ids and timing."""
    t0 = time.perf_counter()
    passages = top_passages(pipe, question, k)
    t_retrieve = time.perf_counter() - t0
    context = "\n\n".join(f"[{i}] {p.text}" for i, p in enumerate(passages, 1))
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Passages:\n{context}\n\nQuestion: {question}"}]
    first, parts = None, []
    for piece in pipe.model.generate(messages, max_tokens=max_tokens, temperature=0.0):
        first = first if first is not None else time.perf_counter() - t0
        parts.append(piece)
    total = time.perf_counter() - t0
    return {"answer": "".join(parts), "passages": [p.id for p in passages], "retrieval_s": t_retrieve, "first_token_s": first or total, "total_s": total}


def main(argv=None) -> int:
    """One question over --seeds/--data-dir, printed as text or one JSON object."""
    ap = argparse.ArgumentParser(description="An ordinary single-prompt RAG over the articles' index.")
    ap.add_argument("question")
    ap.add_argument("--seeds", default=None, help="article folder (default: as perspectives)")
    ap.add_argument("--data-dir", default=None, help="index and caches (default: as perspectives)")
    ap.add_argument("--model", default=None, help="default, stub or a .gguf (default: as perspectives)")
    ap.add_argument("-k", type=int, default=4, help="passages in the prompt")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from app.pipeline import build_pipeline
    from app.settings import Settings

    flags = {k: v for k, v in (("seeds", args.seeds), ("data_dir", args.data_dir), ("model", args.model)) if v is not None}
    settings = Settings.load(**flags)
    pipe = build_pipeline(settings, preload_model=True)  # as `perspectives ask`: the model loads while the index syncs
    out = plain_rag(pipe, args.question, k=args.k, max_tokens=settings.answer_tokens)
    out.update(question=args.question, model=pipe.model.name)
    print(json.dumps(out, ensure_ascii=False) if args.json else out["answer"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
