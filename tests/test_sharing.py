"""Concurrent callers share the model's batches (app/llm/sharing.py): what each caller gets
back is its own (replies, streamed pieces, token counts), calls that meet while a batch runs
are decoded together, and a failure reaches every caller of its batch, not the others.
Ordering is forced with events, never with sleeps or timings."""

from __future__ import annotations

import threading

import pytest

from app.errors import ModelError
from app.llm.base import GenerationStats
from app.llm.sharing import BatchOutput, BatchSharer


class Backend:
    """A fake `run`: replies "<first user message> !", blocks on `gate` while told to."""

    def __init__(self):
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.batches: list[list[str]] = []
        self.fail_on: str | None = None

    def run(self, conversations, max_tokens, temperature, on_piece):
        self.entered.set()
        self.gate.wait(10)
        asked = [c[-1]["content"] for c in conversations]
        self.batches.append(asked)
        if self.fail_on in asked:
            raise ModelError("the model broke")
        for j, text in enumerate(asked):
            on_piece(j, text)
            on_piece(j, " !")
        return BatchOutput([f"{t} !" for t in asked], [len(t) for t in asked], [2] * len(asked))


def chats(*texts):
    return [[{"role": "user", "content": t}] for t in texts]


def call_in_thread(sharer, texts, results, key, **kw):
    def go():
        stats, pieces = GenerationStats(), []
        try:
            replies = sharer.generate_many(chats(*texts), max_tokens=kw.get("max_tokens", 16), temperature=kw.get("temperature", 0.0),
                                           stats=stats, on_piece=lambda i, p: pieces.append((i, p)))
            results[key] = (replies, stats, pieces)
        except ModelError as exc:
            results[key] = exc

    t = threading.Thread(target=go)
    t.start()
    return t


def wait_until(predicate):
    for _ in range(1000):
        if predicate():
            return
        threading.Event().wait(0.01)
    raise AssertionError("condition not reached")


@pytest.fixture
def busy():
    """A sharer whose first batch (call "a") is held inside the backend until the test lets go."""
    backend = Backend()
    sharer = BatchSharer(backend.run, limit=4)
    results: dict = {}
    first = call_in_thread(sharer, ["a"], results, "a")
    assert backend.entered.wait(10)
    return backend, sharer, results, [first]


def test_calls_that_arrive_during_a_batch_share_the_next_one(busy):
    backend, sharer, results, threads = busy
    threads.append(call_in_thread(sharer, ["b1", "b2"], results, "b"))
    threads.append(call_in_thread(sharer, ["c"], results, "c"))
    wait_until(lambda: len(sharer._waiting) == 2)
    backend.gate.set()
    for t in threads:
        t.join(10)
    assert backend.batches == [["a"], ["b1", "b2", "c"]]
    assert sharer.batch_sizes == [1, 2]
    replies, stats, pieces = results["b"]
    assert replies == ["b1 !", "b2 !"]  # its own replies, in its own order
    assert pieces == [(0, "b1"), (0, " !"), (1, "b2"), (1, " !")]  # streamed under its own indices
    assert (stats.prompt_tokens, stats.completion_tokens) == (4, 4)  # its own chats' tokens only
    assert results["c"][0] == ["c !"] and results["c"][1].prompt_tokens == 1


def test_the_limit_and_different_settings_keep_calls_apart(busy):
    backend, sharer, results, threads = busy
    threads.append(call_in_thread(sharer, ["b1", "b2", "b3"], results, "b"))
    wait_until(lambda: len(sharer._waiting) == 1)
    threads.append(call_in_thread(sharer, ["c1", "c2"], results, "c"))  # 3 + 2 > limit 4
    wait_until(lambda: len(sharer._waiting) == 2)
    threads.append(call_in_thread(sharer, ["d"], results, "d", temperature=0.7))  # other settings: not with b
    wait_until(lambda: len(sharer._waiting) == 3)
    backend.gate.set()
    for t in threads:
        t.join(10)
    assert backend.batches == [["a"], ["b1", "b2", "b3"], ["c1", "c2"], ["d"]]
    assert all(not isinstance(r, Exception) for r in results.values())


def test_a_failure_reaches_every_caller_of_its_batch_and_no_other(busy):
    backend, sharer, results, threads = busy
    backend.fail_on = "b"
    threads.append(call_in_thread(sharer, ["b"], results, "b"))
    threads.append(call_in_thread(sharer, ["c"], results, "c"))
    wait_until(lambda: len(sharer._waiting) == 2)
    backend.gate.set()
    for t in threads:
        t.join(10)
    assert results["a"][0] == ["a !"]
    assert isinstance(results["b"], ModelError) and isinstance(results["c"], ModelError)
    assert call_in_thread(sharer, ["e"], results, "e").join(10) is None and results["e"][0] == ["e !"]  # the model is usable again


@pytest.mark.real_model
def test_concurrent_callers_share_a_batch_on_the_bundled_model(real_model):
    """Three threads ask while the model is busy: the two that waited are decoded in one batch,
    each gets a reply of its own (exact equality with a solo call is not promised: see the
    rounding note in test_parallel.py)."""
    questions = ["Who founded DeepSeek?", "What is Nvidia?", "Where is Hangzhou?"]
    sizes_before = len(real_model._sharer.batch_sizes)
    results: dict = {}
    with real_model.lock:  # the model is busy: the first caller waits inside its batch, the others queue
        threads = [call_in_thread(real_model._sharer, [q], results, q, max_tokens=12) for q in questions[:1]]
        wait_until(lambda: len(real_model._sharer.batch_sizes) == sizes_before + 1)
        threads += [call_in_thread(real_model._sharer, [q], results, q, max_tokens=12) for q in questions[1:]]
        wait_until(lambda: len(real_model._sharer._waiting) == 2)
    for t in threads:
        t.join(60)
    assert real_model._sharer.batch_sizes[sizes_before:] == [1, 2]
    assert len({results[q][0][0] for q in questions}) == 3
    assert all(results[q][0][0].strip() and results[q][1].completion_tokens > 0 for q in questions)


def test_an_upload_waits_for_retrievals_in_flight_and_holds_back_new_ones():
    """Pipeline.corpus_lock: answers read together; a reload (writer) waits for them, and an
    answer that arrives while the reload waits goes after it (the reload is not starved)."""
    from app.pipeline import ReadWriteLock

    lock, order = ReadWriteLock(), []
    first_reading, writer_waiting = threading.Event(), threading.Event()

    def reader(name, hold: threading.Event | None = None):
        with lock.reading():
            order.append(f"{name} reads")
            if hold:
                first_reading.set()
                hold.wait(10)
            order.append(f"{name} done")

    def writer():
        writer_waiting.set()
        with lock.writing():
            order.append("reload")

    release = threading.Event()
    threads = [threading.Thread(target=reader, args=("a", release))]
    threads[0].start()
    assert first_reading.wait(10)
    threads.append(threading.Thread(target=writer))
    threads[1].start()
    assert writer_waiting.wait(10)
    wait_until(lambda: lock._writers_waiting == 1)
    threads.append(threading.Thread(target=reader, args=("b",)))
    threads[2].start()
    release.set()
    for t in threads:
        t.join(10)
    assert order == ["a reads", "a done", "reload", "b reads", "b done"]
