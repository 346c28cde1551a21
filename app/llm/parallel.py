"""Several prompts decoded as parallel sequences in one llama.cpp context (low-level API).

How (after llama.cpp's examples/batched): the prompts' common prefix (system prompt, chat
template) is evaluated once on sequence 0, reusing what the context already holds from
the previous call, and shared with sequences 1..n-1 by `llama_memory_seq_cp` (no copy:
the KV cells get more sequence ids). Each prompt's own tail then goes into one batch, one
`seq_id` per prompt, and from then on every decode step carries one new token per sequence
still running. Each sequence has its own sampler chain built like llama-cpp-python's
(repeat penalty over its own generated tokens, then greedy, or top-k/p + temperature with
its own seed), so with temperature 0 a sequence yields what a call on its own would,
as far as the batch-size-dependent float rounding of llama.cpp's kernels allows (tested
in tests/test_parallel.py).

Afterwards sequences 1..n-1 are removed and sequence 0 is cut back to the shared prefix,
which is recorded in the `Llama` object's token cache, so the next ordinary call reuses it.
The context must have been created with `n_seq_max` >= the number of prompts and a
unified KV cache (llama.py does that at load).
Not here: chat formatting, text decoding, locking, threads (llama.py).
"""

from __future__ import annotations

from typing import Callable

PENALTY_LAST_N = 64  # llama-cpp-python's default window for the repeat penalty (last_n_tokens_size)


def common_prefix(prompts: list[list[int]]) -> int:
    """Length of the longest token prefix all prompts share, leaving each at least one own token."""
    n = min(len(p) for p in prompts) - 1
    first = prompts[0]
    for i in range(max(0, n)):
        if any(p[i] != first[i] for p in prompts[1:]):
            return i
    return max(0, n)


def fit_groups(lengths: list[int], prefix: int, max_tokens: int, n_ctx: int, n_seq_max: int) -> list[list[int]]:
    """Split prompt indices into groups whose prefix + tails + outputs fit in the KV cache."""
    groups: list[list[int]] = [[]]
    used = prefix
    for i, n in enumerate(lengths):
        need = n - prefix + max_tokens
        if groups[-1] and (used + need > n_ctx or len(groups[-1]) >= n_seq_max):
            groups.append([])
            used = prefix
        groups[-1].append(i)
        used += need
    return groups


def _sampler(llama_cpp, n_vocab: int, temperature: float, repeat_penalty: float, seed: int):
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    add = lambda s: llama_cpp.llama_sampler_chain_add(chain, s)  # noqa: E731
    add(llama_cpp.llama_sampler_init_penalties(n_vocab, PENALTY_LAST_N, repeat_penalty, 0.0, 0.0))
    if temperature <= 0:
        add(llama_cpp.llama_sampler_init_greedy())
    else:  # the chain llama-cpp-python builds for these settings
        add(llama_cpp.llama_sampler_init_top_k(40))
        add(llama_cpp.llama_sampler_init_typical(1.0, 1))
        add(llama_cpp.llama_sampler_init_top_p(0.95, 1))
        add(llama_cpp.llama_sampler_init_min_p(0.05, 1))
        add(llama_cpp.llama_sampler_init_temp(temperature))
        add(llama_cpp.llama_sampler_init_dist(seed))
    return chain


class _Batch:
    """A llama_batch we fill token by token (one sequence id per token)."""

    def __init__(self, llama_cpp, size: int):
        self.lib, self.size = llama_cpp, size
        self.raw = llama_cpp.llama_batch_init(size, 0, 1)

    def clear(self):
        self.raw.n_tokens = 0

    def add(self, token: int, pos: int, seq: int, logits: bool) -> int:
        i = self.raw.n_tokens
        self.raw.token[i], self.raw.pos[i] = token, pos
        self.raw.n_seq_id[i] = 1
        self.raw.seq_id[i][0] = seq
        self.raw.logits[i] = logits
        self.raw.n_tokens = i + 1
        return i

    def decode(self, ctx):
        if self.raw.n_tokens and self.lib.llama_decode(ctx, self.raw) != 0:
            raise RuntimeError("llama_decode failed (is the context too small for all sequences?)")

    def free(self):
        self.lib.llama_batch_free(self.raw)


def decode_parallel(llm, prompts: list[list[int]], *, max_tokens: int, temperature: float = 0.0, repeat_penalty: float = 1.1,
                    seed: int = 42, on_token: Callable[[int, int], None] | None = None) -> tuple[list[list[int]], int]:
    """Generate for all `prompts` at once; returns (tokens generated per prompt, prompt tokens reused).

    `llm` is a llama_cpp.Llama whose context allows len(prompts) sequences. `on_token(i, tok)`
    is called for each generated token of prompt i as soon as it is sampled.
    """
    import llama_cpp

    ctx, n = llm.ctx, len(prompts)
    mem = llama_cpp.llama_get_memory(ctx)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    common = common_prefix(prompts)
    prefix = prompts[0][:common]
    reused = 0
    for a, b in zip(llm.input_ids[: llm.n_tokens], prefix):  # what sequence 0 still holds from the last call
        if a != b:
            break
        reused += 1
    llama_cpp.llama_memory_seq_rm(mem, -1, reused, -1)
    # One prompt: evaluate all it does not share with the cache in one batch, as an ordinary
    # call does (the same batches give the same rounding, hence the same reply).
    shared = common if n > 1 else reused
    batch = _Batch(llama_cpp, max(llm.n_batch, n))
    samplers = [_sampler(llama_cpp, llm.n_vocab(), temperature, repeat_penalty, seed + i) for i in range(n)]
    out: list[list[int]] = [[] for _ in range(n)]
    try:
        for start in range(reused, shared, batch.size):  # the shared prefix, once, on sequence 0
            batch.clear()
            for pos in range(start, min(shared, start + batch.size)):
                batch.add(prefix[pos], pos, 0, False)
            batch.decode(ctx)
        for i in range(1, n):
            llama_cpp.llama_memory_seq_cp(mem, 0, i, 0, shared)
        nxt = _decode_tails(llama_cpp, ctx, batch, samplers, prompts, shared)
        _generate(llama_cpp, ctx, vocab, batch, samplers, nxt, [len(p) for p in prompts], out, max_tokens, on_token)
    finally:
        for i in range(1, n):
            llama_cpp.llama_memory_seq_rm(mem, i, -1, -1)
        llama_cpp.llama_memory_seq_rm(mem, 0, common, -1)
        llm.input_ids[:common] = prefix
        llm.n_tokens = common
        for s in samplers:
            llama_cpp.llama_sampler_free(s)
        batch.free()
    return out, reused + (n - 1) * shared


def _decode_tails(llama_cpp, ctx, batch: _Batch, samplers, prompts, shared: int) -> dict[int, int]:
    """Each prompt's own tokens, batched; returns the first sampled token of every sequence."""
    items = [(i, pos, tok) for i, p in enumerate(prompts) for pos, tok in enumerate(p[shared:], start=shared)]
    first: dict[int, int] = {}
    for start in range(0, len(items), batch.size):
        batch.clear()
        last_rows = {}
        for i, pos, tok in items[start:start + batch.size]:
            row = batch.add(tok, pos, i, pos == len(prompts[i]) - 1)
            if pos == len(prompts[i]) - 1:
                last_rows[i] = row
        batch.decode(ctx)
        for i, row in last_rows.items():  # logits only live until the next decode: sample now
            first[i] = llama_cpp.llama_sampler_sample(samplers[i], ctx, row)
    return first


def _generate(llama_cpp, ctx, vocab, batch: _Batch, samplers, nxt: dict[int, int], pos: list[int], out, max_tokens, on_token):
    """One decode step per round, one token per running sequence, until each ends."""
    while nxt:
        batch.clear()
        rows = {}
        for i, tok in sorted(nxt.items()):
            if llama_cpp.llama_vocab_is_eog(vocab, tok):
                continue
            out[i].append(tok)
            if on_token:
                on_token(i, tok)
            if len(out[i]) >= max_tokens:
                continue
            rows[i] = batch.add(tok, pos[i], i, True)
            pos[i] += 1
        batch.decode(ctx)
        nxt = {i: llama_cpp.llama_sampler_sample(samplers[i], ctx, row) for i, row in rows.items()}
