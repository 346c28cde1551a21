"""An ordinary single-prompt RAG, the yardstick for `perspectives ask` (bench/run.py).

The global top-k passages of the same index (no per-article retrieval, no BM25), one
prompt, one call to the same model, no checks: what a tutorial RAG over these articles
would do. `bench/run.py` times it against our full `ask` on the same questions and model.
Not here: viewpoints, citations checks, anything the real flow does.
"""

from __future__ import annotations

import time

SYSTEM = "Answer the question using only the passages below. Cite passages as [n]. Be brief."


def top_passages(pipe, question: str, k: int) -> list:
    """The k passages of the whole corpus closest to the question (cosine), best first."""
    qvec = pipe.embedder.embed([question])[0]
    hits = [hit for art in pipe.articles for hit in pipe.index.query(qvec, art.id, k)]  # each article's best k, merged
    best = sorted(hits, key=lambda h: -h[1])[:k]
    by_id = {p.id: p for p in pipe.passages}
    return [by_id[pid] for pid, _ in best]


def plain_rag(pipe, question: str, *, k: int = 4, max_tokens: int = 160) -> dict:
    """Answer `question` in one model call over the global top-k passages; returns text and timing."""
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
    return {"answer": "".join(parts), "retrieval_s": t_retrieve, "first_token_s": first or total, "total_s": total}
