"""Parallel replies (`generate_many`): several chats decoded as sequences of one llama.cpp context.

What can be promised, and is tested here on the bundled model at temperature 0, each
comparison starting from an empty KV cache (`clear_cache`):
- a chat decoded on its own through `generate_many` gets exactly the reply `generate` gives;
- a reply never depends on what the other chats in the batch say (no leak between sequences);
- the streamed pieces add up to the replies; the cache is left as an ordinary call expects;
- more chats than fit the context at once are decoded in rounds.
What cannot: in a batch, a reply can differ from its sequential one. llama.cpp's logits
depend, in rounding, on where the tokens sit in the KV cache, and where a sequence's tokens
sit depends on the other sequences (their lengths, not their content; measured: logits
differ by up to 0.8 on this model, 4 of 5 replies identical over 30 tokens; models.md).
Greedy decoding then takes another token where two were nearly tied. The same holds for
ordinary calls: `generate` twice on one prompt can differ when the first call's cache is
reused, for the same reason.
"""

from __future__ import annotations

import pytest

from app.llm import GenerationStats, load_model
from app.llm.parallel import common_prefix, fit_groups
from app.llm.stub import StubModel

SYSTEM = {"role": "system", "content": "You answer in one short sentence, using only the excerpt."}
EXCERPTS = [
    "DeepSeek trained its R1 model cheaply by using fewer chips, despite US export controls.",
    "The founder Liang Wenfeng studied at Zhejiang University and ran the hedge fund High-Flyer.",
    "Nvidia lost nearly 600 billion dollars in market value on the day after DeepSeek's release.",
    "Chinese officials praised DeepSeek as proof that the national system for science works.",
    "Critics say the US sanctions on chips forced China to find another way to innovate.",
]


def chat(excerpt: str) -> list[dict]:
    return [SYSTEM, {"role": "user", "content": f"Excerpt: {excerpt}\nQuestion: What does the excerpt say about DeepSeek?"}]


def sequential(model, chats, max_tokens=30):
    """Each chat's reply from `generate`, each starting from an empty cache."""
    replies = []
    for c in chats:
        model.clear_cache()
        replies.append("".join(model.generate(c, max_tokens=max_tokens, temperature=0.0)))
    return replies


def together(model, chats, max_tokens=30, **kw):
    model.clear_cache()
    return model.generate_many(chats, max_tokens=max_tokens, **kw)


def test_one_chat_alone_gets_exactly_the_sequential_reply(real_model):
    chats = [chat(e) for e in EXCERPTS]
    assert [together(real_model, [c])[0] for c in chats] == sequential(real_model, chats)


def test_a_reply_does_not_depend_on_the_other_chats_content(real_model):
    other_a, other_b = chat("Nvidia lost 600 billion dollars in value."), chat("Nvidia lost 700 billion dollars in value.")
    assert real_model.count_tokens(other_a[1]["content"]) == real_model.count_tokens(other_b[1]["content"])  # same layout
    mine = chat(EXCERPTS[3])
    with_a, with_b = together(real_model, [other_a, mine]), together(real_model, [other_b, mine])
    assert with_a[1] == with_b[1] and with_a[1].strip()


def test_batched_replies_stream_and_leave_the_model_as_it_was(real_model):
    chats = [chat(e) for e in EXCERPTS]
    pieces: dict[int, list[str]] = {}
    stats = GenerationStats()
    replies = together(real_model, chats, stats=stats, on_piece=lambda i, p: pieces.setdefault(i, []).append(p))
    assert len(replies) == 5 and all(r.strip() for r in replies)
    assert ["".join(pieces.get(i, [])) for i in range(5)] == replies
    assert stats.completion_tokens <= 5 * 30 and stats.prompt_tokens == sum(len(real_model._chat_prompt(c)) for c in chats)
    shared = common_prefix([real_model._chat_prompt(c) for c in chats])
    assert shared > 0 and stats.reused_tokens == 4 * shared  # the system prompt, evaluated once for all five
    # What stays cached is exactly the shared prefix: the next call on one of the chats reuses it.
    after = GenerationStats()
    "".join(real_model.generate(chats[0], max_tokens=5, stats=after))
    assert after.reused_tokens == shared


def test_chats_that_do_not_fit_together_are_decoded_in_rounds():
    small = load_model("default", n_ctx=256, process="inline")
    chats = [chat(e) for e in EXCERPTS[:3]]
    assert len(fit_groups([len(small._chat_prompt(c)) for c in chats], 40, 150, 256, 8)) == 3  # one chat per round
    replies = together(small, chats, max_tokens=150)
    assert replies == together(small, chats, max_tokens=150)  # deterministic
    assert replies[0] == sequential(small, chats[:1], max_tokens=150)[0]  # the first round starts from the empty cache
    assert all(r.strip() for r in replies)


@pytest.mark.parametrize("lengths, prefix, out, n_ctx, most, groups", [
    ([100, 100, 100], 50, 30, 2048, 8, [[0, 1, 2]]),
    ([100, 100, 100], 50, 30, 220, 8, [[0, 1], [2]]),  # shared 50, then 50 own + 30 out each: 210 fits, 290 does not
    ([100] * 5, 50, 30, 2048, 2, [[0, 1], [2, 3], [4]]),
    ([300], 0, 30, 256, 8, [[0]]),  # too long even alone: still one group (the caller shortens its output)
])
def test_fit_groups(lengths, prefix, out, n_ctx, most, groups):
    assert fit_groups(lengths, prefix, out, n_ctx, most) == groups


def test_common_prefix_leaves_every_prompt_a_token_of_its_own():
    assert common_prefix([[1, 2, 3, 4], [1, 2, 3, 5]]) == 3
    assert common_prefix([[1, 2, 3], [1, 2, 3]]) == 2
    assert common_prefix([[7, 2], [8, 2]]) == 0


def test_the_stub_answers_each_chat_as_generate_would():
    stub = StubModel()
    chats = [[{"role": "user", "content": f"[{i}] Sentence number {i} about chips."}] for i in (1, 2, 3)]
    streamed: list[tuple[int, str]] = []
    stats = GenerationStats()
    replies = stub.generate_many(chats, max_tokens=20, stats=stats, on_piece=lambda i, p: streamed.append((i, p)))
    assert replies == ["Sentence number 1 about chips. [1]", "Sentence number 2 about chips. [2]", "Sentence number 3 about chips. [3]"]
    assert [i for i, _ in streamed] == sorted(i for i, _ in streamed)  # one chat after another
    assert stats.completion_tokens > 0 and not stub.can_batch
