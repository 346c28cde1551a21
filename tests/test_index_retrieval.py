"""The real Chroma store in tmp: incremental sync by hash, damage recovery, per-article retrieval."""

import copy
import json
import shutil

import numpy as np
import pytest

from app.index.store import Index
from app.pipeline import build_pipeline
from app.retrieve.evidence import EvidenceFinder
from app.rules import RULES


def test_first_build_then_nothing_to_do(seeds_copy, make_pipe, tmp_path):
    pipe = make_pipe(seeds_copy)
    r = pipe.sync_report
    assert len(r.added) == 5 and r.passages_embedded == len(pipe.passages)
    again = make_pipe(seeds_copy)
    assert again.sync_report.passages_embedded == 0 and len(again.sync_report.unchanged) == 5
    manifest = json.loads((tmp_path / "data" / "index" / "manifest.json").read_text())
    assert manifest["complete"] is True and set(manifest["articles"]) == {a.id for a in pipe.articles}


def test_changed_added_removed_articles(seeds_copy, make_pipe):
    pipe = make_pipe(seeds_copy)
    files = sorted(seeds_copy.glob("*.txt"))
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\n\nAn added closing paragraph about chips.", encoding="utf-8")
    files[1].unlink()
    (seeds_copy / "new.md").write_text("# A new article about export controls\n\n" + "Export controls on chips matter. " * 30, encoding="utf-8")
    r = pipe.reload()
    assert r.updated == [files[0].stem] and r.removed == [files[1].stem] and r.added == ["new"]
    assert len(r.unchanged) == 3
    assert r.passages_embedded == sum(1 for p in pipe.passages if p.article_id in (files[0].stem, "new"))
    counts = pipe.index._stored_counts(pipe.index._open())
    assert counts == {a.id: sum(1 for p in pipe.passages if p.article_id == a.id) for a in pipe.articles}


def test_interrupted_build_is_completed(seeds_copy, make_pipe, tmp_path):
    pipe = make_pipe(seeds_copy)
    col = pipe.index._open()
    victim = pipe.articles[2].id
    col.delete(where={"article_id": victim})  # as if killed half-way
    m = pipe.index.read_manifest()
    pipe.index._write_manifest(m["articles"], complete=False)
    msgs = []
    pipe.index.notify = msgs.append
    r = pipe.reload()
    assert r.updated == [victim] and any("did not finish" in m for m in msgs)
    assert pipe.index.read_manifest()["complete"] is True


def test_damaged_store_is_moved_aside_and_rebuilt(seeds_copy, make_pipe, tmp_path):
    make_pipe(seeds_copy)
    store = tmp_path / "data" / "index" / "chroma"
    for f in store.rglob("*.sqlite3"):
        f.write_bytes(b"this is not a database" * 100)
    pipe = make_pipe(seeds_copy)
    assert pipe.sync_report.rebuilt.startswith("damaged store")
    assert len(pipe.sync_report.added) == 5
    assert list((tmp_path / "data" / "index").glob("chroma.broken-*"))
    assert pipe.retriever.retrieve("export controls", k=2)[0].hits


def test_damaged_manifest_rebuilds(seeds_copy, make_pipe, tmp_path):
    make_pipe(seeds_copy)
    (tmp_path / "data" / "index" / "manifest.json").write_text("{not json", encoding="utf-8")
    pipe = make_pipe(seeds_copy)
    assert pipe.sync_report.rebuilt == "damaged manifest" and len(pipe.sync_report.added) == 5


def test_every_article_gets_its_own_passages(stub_pipe):
    results = stub_pipe.retriever.retrieve("What did the United States do about Nvidia chips?", k=3)
    assert [r.article.id for r in results] == [a.id for a in stub_pipe.articles]
    for r in results:
        assert len(r.hits) == 3
        assert all(h.passage.article_id == r.article.id for h in r.hits)
        assert [h.fused for h in r.hits] == sorted((h.fused for h in r.hits), reverse=True)


def test_an_off_topic_question_finds_every_article_silent(stub_pipe):
    found = stub_pipe.find_evidence("recipe for chocolate banana bread with walnuts")
    assert [ev.status for ev in found] == ["silent"] * len(found)
    found = stub_pipe.find_evidence("Where did DeepSeek's founder Liang Wenfeng study?")
    assert any(ev.status != "silent" for ev in found)


def test_the_floor_setting_silences_articles_whose_closest_sentence_is_below_it(stub_pipe):
    """`floor` once changed nothing a user saw (only an unused retriever flag read it)."""
    question = "Where did DeepSeek's founder Liang Wenfeng study?"
    found = stub_pipe.find_evidence(question)
    cosines = sorted(ev.cosine for ev in found if ev.status != "silent")
    assert len(cosines) >= 1
    strict = copy.copy(stub_pipe)
    strict.evidence = EvidenceFinder(stub_pipe.retriever, stub_pipe.sentences, RULES.with_(silence_floor=cosines[-1] + 0.01))
    assert [ev.status for ev in strict.find_evidence(question)] == ["silent"] * len(found)
    built = build_pipeline(stub_pipe.settings.model_copy(update={"floor": 0.99}))
    assert built.evidence.rules.silence_floor == 0.99


def test_evidence_sentences_are_verbatim(stub_pipe):
    found = stub_pipe.evidence.find("Did US export restrictions on chips hurt DeepSeek?", k=3)
    assert any(ev.sentences for ev in found)
    for ev in found:
        for s in ev.sentences:
            assert ev.article.text[s.start:s.end] == s.text and s.passage_id.startswith(ev.article.id)


def test_lexical_scores_find_rare_terms(stub_pipe):
    scores = stub_pipe.retriever.lexical_scores("High-Flyer hedge fund")
    best = max(scores, key=scores.get)
    assert "High-Flyer" in stub_pipe.retriever.passages[best].text


# -- the vector snapshot: an unchanged index opens without Chroma, and never answers wrongly --

QUESTIONS = ["Did US export restrictions on chips hurt DeepSeek?", "Where did Liang Wenfeng study?", "recipe for banana bread"]


def test_snapshot_answers_exactly_as_chroma_does(seeds_copy, make_pipe):
    make_pipe(seeds_copy)
    pipe = make_pipe(seeds_copy)  # unchanged: served by the snapshot
    assert pipe.index._snapshot is not None and pipe.sync_report.passages_embedded == 0
    for q in QUESTIONS:
        qvec = pipe.embedder.embed([q])[0]
        for art in pipe.articles:
            n = len([p for p in pipe.passages if p.article_id == art.id])
            fast = pipe.index._snapshot.query(qvec, art.id, n)
            res = pipe.index._open().query(query_embeddings=qvec[None, :], n_results=n, where={"article_id": art.id}, include=["distances"])
            slow = [(pid, 1.0 - d) for pid, d in zip(res["ids"][0], res["distances"][0])]
            assert [pid for pid, _ in fast] == [pid for pid, _ in slow]
            assert [round(s, 4) for _, s in fast] == [round(s, 4) for _, s in slow]


def test_store_changed_behind_the_manifest_is_noticed(seeds_copy, make_pipe):
    pipe = make_pipe(seeds_copy)
    victim = pipe.articles[1].id
    pipe.index._open().delete(where={"article_id": victim})  # the manifest still lists it
    again = make_pipe(seeds_copy)
    assert again.sync_report.updated == [victim]
    assert again.sync_report.passages_embedded == sum(1 for p in again.passages if p.article_id == victim)
    assert again.retriever.retrieve("export controls", k=2)[1].hits


def test_a_stale_or_broken_snapshot_is_not_used(seeds_copy, make_pipe, tmp_path):
    first = make_pipe(seeds_copy)
    before = [[h.passage.id for h in r.hits] for r in first.retriever.retrieve(QUESTIONS[0], k=3)]
    snap = tmp_path / "data" / "index" / "vectors.npz"
    snap.write_bytes(b"not an npz file")
    pipe = make_pipe(seeds_copy)  # falls back to Chroma, then writes a good snapshot again
    assert pipe.sync_report.passages_embedded == 0
    assert [[h.passage.id for h in r.hits] for r in pipe.retriever.retrieve(QUESTIONS[0], k=3)] == before
    assert make_pipe(seeds_copy).index._snapshot is not None


def test_the_saved_embedding_graph_gives_the_same_vectors(tmp_path):
    from app.index.embed import Embedder

    texts = ["Who founded DeepSeek?", "US export controls on advanced chips. " * 40]
    plain = Embedder().embed(texts)
    first = Embedder(cache_dir=tmp_path / "models")  # builds and saves the optimized graph
    saved = list((tmp_path / "models").glob("*.onnx"))
    assert len(saved) == 1 and (first.embed(texts) == plain).all()
    assert (Embedder(cache_dir=tmp_path / "models").embed(texts) == plain).all()  # loads the saved graph
    assert (np.stack([first.embed([t])[0] for t in texts]) == plain).all()  # a vector does not depend on its batch
    saved[0].write_bytes(b"not an onnx graph")
    assert (Embedder(cache_dir=tmp_path / "models").embed(texts) == plain).all()  # ignored, rebuilt
    assert saved[0].stat().st_size > 1_000_000


def test_a_sentence_repeated_across_articles_is_embedded_once(seeds_copy, tmp_path):
    """Wire copies repeat whole articles: indexing runs the model once per distinct sentence,
    and every copy gets the same vectors and spans as its original."""
    from app.corpus.articles import load_corpus
    from app.corpus.chunks import sentence_spans
    from app.index.embed import Embedder
    from app.index.sentences import SentenceStore

    original = sorted(seeds_copy.glob("*.txt"))[0]
    shutil.copy(original, seeds_copy / "wire-copy.txt")
    articles = load_corpus(seeds_copy)
    embedded: list[str] = []

    class Counting(Embedder):
        def embed(self, texts, batch_size=8):
            embedded.extend(texts)
            return super().embed(texts, batch_size)

    store = SentenceStore(tmp_path / "sentences", Counting())
    assert store.ensure(articles) == 6
    distinct = {a.text[s.start:s.end] for a in articles for s in sentence_spans(a.text)}
    assert sorted(embedded) == sorted(distinct)
    copy_of, source = (next(a for a in articles if a.id.startswith(p)) for p in ("wire-copy", original.stem))
    got, want = store.get(copy_of), store.get(source)
    assert got.spans == want.spans and (got.vectors == want.vectors).all()
    assert len(list((tmp_path / "sentences").glob("*.npz"))) == 6
