"""Small worked examples that catch the bugs a mutation run showed the other tests would miss.

Each test pins one behaviour a user relies on, with inputs small enough to check by hand:
retrieval's ranking per signal (dense, lexical, their fusion, quote
choice and order), quote verification given a wrong quote, labels, the duplicate-id check,
and batch-file line numbers after a bad line in the middle. Retrieval runs against a tiny
in-memory dense index whose similarities are set by hand (the real Chroma and embedder are
covered by test_index_retrieval.py, at ~12 s per run: too slow to re-run per mutant).
Not here: properties over many inputs (test_properties.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.answer.citations import CitationFilter, cited_numbers, clean_citations, verify_quote
from app.corpus.articles import Article
from app.corpus.chunks import Passage
from app.retrieve.hybrid import ArticleHits, Retriever


# -- retrieval with hand-set similarities ----------------------------------------------------
class FakeEmbedder:
    """Each text's vector is looked up by the first keyword it contains, any case (none -> the last axis)."""

    model_id = "fake"

    def __init__(self, axes: dict[str, list[float]], dim: int = 4):
        self.axes, self.dim = axes, dim

    def embed(self, texts):
        out = []
        for t in texts:
            vec = next((v for k, v in self.axes.items() if k.lower() in t.lower()), [0.0] * (self.dim - 1) + [1.0])
            out.append(np.asarray(vec, dtype=np.float64))
        return np.vstack(out) if out else np.zeros((0, self.dim))


class FakeIndex:
    """Dense search over the given passages with the fake embedder: cosine, best first."""

    def __init__(self, passages: list[Passage], embedder: FakeEmbedder):
        self.passages, self.embedder, self.calls = passages, embedder, []

    def query(self, vector, article_id, n):
        self.calls.append((article_id, n))
        own = [p for p in self.passages if p.article_id == article_id]
        sims = [(p.id, float(self.embedder.embed([p.text])[0] @ vector)) for p in own]
        return sorted(sims, key=lambda x: -x[1])[:n]


def _corpus(paragraphs: dict[str, list[str]]):
    articles, passages = [], []
    for aid, paras in paragraphs.items():
        text = "\n\n".join(paras)
        articles.append(Article(id=aid, title=aid, label=aid, text=text, path=f"{aid}.txt", sha256="0" * 64))
        pos = 0
        for i, para in enumerate(paras):
            start = text.index(para, pos)
            passages.append(Passage(f"{aid}:{i}", aid, i, start, start + len(para), para))
            pos = start + len(para)
    return articles, passages


def _retriever(paragraphs, axes):
    articles, passages = _corpus(paragraphs)
    emb = FakeEmbedder(axes)
    index = FakeIndex(passages, emb)
    return Retriever(articles, passages, index, emb), index


HALF = math.sqrt(0.75)  # (0.5, HALF) has cosine exactly 0.5 with (1, 0)
AXES = {"QDENSE": [1.0, 0.0, 0.0, 0.0], "alpha": [1.0, 0.0, 0.0, 0.0], "beta": [0.5, HALF, 0.0, 0.0], "gamma": [0.0, 1.0, 0.0, 0.0]}


def test_dense_signal_alone_orders_the_passages():
    r, index = _retriever({"a": ["gamma words here for one.", "beta words here for two.", "alpha words here for three."]}, AXES)
    [res] = r.retrieve("QDENSE", k=3)  # no word in common with any passage: dense only
    assert [h.passage.id for h in res.hits] == ["a:2", "a:1", "a:0"]
    assert [h.score for h in res.hits] == [1.0, 0.5, 0.0] and all(h.lexical == 0.0 for h in res.hits)
    assert res.hits[0].fused == pytest.approx(1 / 60) and res.hits[1].fused == pytest.approx(1 / 61)
    assert index.calls == [("a", 3)]  # min(passages, max(3k, 8))


def test_lexical_signal_lifts_a_passage_the_dense_rank_puts_last():
    paras = ["alpha one two three.", "beta four five six.", "gamma submarine submarine submarine."]
    r, _ = _retriever({"a": paras}, AXES)
    [res] = r.retrieve("QDENSE submarine", k=3)
    assert res.hits[0].passage.id == "a:2"  # lexical rank 0 + dense rank 2 beats dense rank 0 alone
    assert res.hits[0].lexical > 0 and res.hits[1].lexical == 0.0
    assert res.hits[0].fused == pytest.approx(1 / 62 + 1 / 60)
    assert [h.passage.id for h in res.hits[1:]] == ["a:0", "a:1"]


def test_both_signals_add_up_and_k_limits_the_hits():
    paras = ["alpha rocket.", "beta rocket rocket.", "gamma plain.", "gamma other."]
    r, _ = _retriever({"a": paras}, AXES)
    [res] = r.retrieve("QDENSE rocket", k=2)
    assert len(res.hits) == 2
    fused = {h.passage.id: h.fused for h in res.hits}
    assert set(fused) == {"a:0", "a:1"}
    assert fused["a:0"] == pytest.approx(1 / 60 + 1 / 61) and fused["a:1"] == pytest.approx(1 / 61 + 1 / 60)


def test_lexical_scores_are_bm25_per_passage_and_zero_for_stopword_questions():
    r, _ = _retriever({"a": ["alpha rocket.", "gamma plain."], "b": ["beta rocket rocket rocket."]}, AXES)
    scores = r.lexical_scores("rocket")
    assert list(scores) == ["a:0", "a:1", "b:0"] and scores["a:1"] == 0.0 and scores["a:0"] > 0 and scores["b:0"] > 0
    assert r.lexical_scores("the and of") == {"a:0": 0.0, "a:1": 0.0, "b:0": 0.0}


def test_each_article_is_searched_separately_in_corpus_order():
    r, index = _retriever({"b": ["gamma far away."], "c": [], "a": ["alpha close by."]}, AXES)
    res = r.retrieve("QDENSE", k=3)
    assert [x.article.id for x in res] == ["b", "c", "a"]  # an article without passages does not stop the others
    assert [len(x.hits) for x in res] == [1, 0, 1] and res[1].best == 0.0
    assert [c[0] for c in index.calls] == ["b", "a"]


def test_retrieval_defaults():
    para = "First alpha sentence has six words. Second alpha sentence has six words. Third alpha sentence has six words."
    articles, passages = _corpus({"a": [para, "beta two.", "beta three.", "beta four."]})
    emb = FakeEmbedder(AXES)
    r = Retriever(articles, passages, FakeIndex(passages, emb), emb)
    [res] = r.retrieve("QDENSE")
    assert len(res.hits) == 3


# -- quotes and citations --------------------------------------------------------------------
def test_verify_quote_refuses_a_wrong_quote_at_valid_offsets():
    text = "The state funded the lab. Critics disagree."
    assert verify_quote(text, "The state", 0, 9)
    assert not verify_quote(text, "The stats", 0, 9)  # offsets fine, words wrong
    assert not verify_quote(text, "", 5, 5) and not verify_quote(text, "T", -1, 0)
    assert not verify_quote(text, "disagree.", len(text) - 9, len(text) + 1)
    assert verify_quote(text, "disagree.", len(text) - 9, len(text))


def test_citation_numbers_and_filter_worked_example():
    assert cited_numbers("a [2] b [1] c [2] d [1000] [x]") == [2, 1]
    assert clean_citations("keep [1], drop [7], not a marker [a] or [1234]", {1}) == "keep [1], drop , not a marker [a] or [1234]"
    f = CitationFilter({3})
    assert f.feed("one [") == "one " and f.feed("3") == "" and f.feed("] two [4") == "[3] two "
    assert f.flush() == ""  # a cut-off marker at the end is dropped
    f = CitationFilter({1})
    assert f.feed("x [") == "x " and f.feed("y") == "[y" and f.flush() == ""
    assert f.feed("tail [1") == "tail " and f.flush() == ""


def test_dense_results_are_capped_and_missing_passages_score_zero():
    paras = [f"gamma filler paragraph number {i}." for i in range(19)] + ["alpha the one that matters."]
    paras[17] = "gamma filler paragraph zebra."
    r, index = _retriever({"a": paras}, AXES)
    for k, n in ((1, 8), (3, 9), (4, 12)):
        index.calls.clear()
        r.retrieve("QDENSE matters", k=k)
        assert index.calls == [("a", n)]  # min(passages, max(3k, 8))
    [res] = r.retrieve("QDENSE zebra", k=3)
    assert [h.passage.id for h in res.hits] == ["a:17", "a:19", "a:0"]
    assert [h.score for h in res.hits] == [0.0, 1.0, 0.0]  # a:17 is found by BM25 alone: no dense similarity
    assert res.hits[0].fused == pytest.approx(1 / 60) and res.hits[0].lexical > 0


def test_lexical_search_ignores_english_stopwords():
    r, _ = _retriever({"a": ["the the the the of of of.", "gamma rockets."]}, AXES)
    scores = r.lexical_scores("the rockets")
    assert scores["a:0"] == 0.0 and scores["a:1"] > 0
    assert isinstance(r.passages, dict) and set(r.passages) == {"a:0", "a:1"}


# -- corpus: repair, titles, labels, loading -----------------------------------------------
from app.corpus.articles import _fallback_title, article_id, clean_text, load_article, load_corpus, make_label, repair_lost_quotes  # noqa: E402
from app.errors import InputError  # noqa: E402


@pytest.mark.parametrize("title, limit, label", [
    ("abc defg", 8, "abc defg"),          # exactly the limit: whole
    ("abc defg hij", 8, "abc defg…"),     # cut at the space just after the limit
    ("abc defgh ij", 8, "abc…"),          # the word at the limit would not fit
    ("ab cd ef gh", 8, "ab cd ef…"),      # only the last partial word goes
    ("abcd, efghij", 8, "abcd…"),         # no dangling comma
    ("abX, cdefghi", 8, "abX…"),
    ("abcdefghijkl", 8, "abcdefgh…"),     # one long word: cut inside it
])
def test_labels_worked_examples(title, limit, label):
    assert make_label(title, limit) == label


def test_label_default_limit_is_42():
    assert make_label("a" * 42) == "a" * 42 and make_label("a" * 43) == "a" * 42 + "…"


def test_clean_text_worked_example():
    assert clean_text("#Xylophones heading for this\n\nBody text here.")[0] == "Xylophones heading for this"
    raw = ("# XX marks the heading here\n\nSkip to content\nBody   with   spaces and “curly” quotes, cafe\u0301 and a\x8dcontrol.\n"
           "Read also\nA teaser headline to drop\nnrc.nl\nhttps://x/%2Fs3%2Fimg.jpg&w=1\nSecond paragraph.\n")
    title, body = clean_text(raw)
    assert title == "XX marks the heading here"
    assert body == "Body with spaces and “curly” quotes, café and acontrol.\n\nSecond paragraph."


def test_headings_become_titles_only_when_they_look_like_one():
    assert clean_text("One two three\n\nBody text.")[0] == "One two three"  # 3 words, no stop
    assert clean_text("One two\n\nBody text.")[0] is None
    assert clean_text("Short first sentence here.\n\nBody text.")[0] is None  # ends with a stop
    assert clean_text(("w " * 80).strip() + "\n\nBody.")[0] == ("w " * 80).strip()  # 159 chars
    assert clean_text(("w " * 80).strip() + "ww\n\nBody.")[0] is None  # 161 chars
    assert clean_text(("w " * 80).strip() + "w\n\nBody.")[0] is not None  # exactly 160
    assert clean_text("Five words without a stop") == (None, "Five words without a stop")  # never the whole text


def test_lost_quote_repair_needs_three_signs_and_handles_capitals():
    assert repair_lost_quotes("Iām here, itās there, weāre fine.") == "I’m here, it’s there, we’re fine."
    assert repair_lost_quotes("Iām here, itās there.") == "Iām here, itās there."  # two: left alone


def test_fallback_titles_and_ids():
    assert _fallback_title("First sentence is here. Second one.") == "First sentence is here."
    long_first = "A" + " word" * 16 + "."  # 82 characters
    assert _fallback_title(long_first) == make_label(long_first, 80) and len(_fallback_title(long_first)) <= 81
    first81 = "B" + " word" * 15 + " abc."  # exactly 81 characters: cut
    assert len(first81) == 81 and _fallback_title(first81).endswith("…")
    assert article_id(Path("Xray file!.txt")) == "Xray-file" and article_id(Path("!!!.txt")) == "article"


from pathlib import Path  # noqa: E402


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_load_article_limits_are_exact(tmp_path):
    text = b"Title words here now\n\n" + b"Five words in this body."
    exact = _write(tmp_path / "exact.txt", text + b" " * (2_000_000 - len(text)))
    assert load_article(exact).text == "Five words in this body."
    with pytest.raises(InputError, match="too large"):
        load_article(_write(tmp_path / "big.txt", text + b" " * (2_000_001 - len(text))))
    late_nul = _write(tmp_path / "nul.txt", b"Words " * 1365 + b"xy" + b"\x00 more words at the end.")
    assert len(b"Words " * 1365 + b"xy") == 8192 and "\x00" not in load_article(late_nul).text
    with pytest.raises(InputError, match="no article text"):
        load_article(_write(tmp_path / "four.txt", b"Only four words here"))
    five = load_article(_write(tmp_path / "five.txt", b"Exactly five words are here"))
    assert five.text == "Exactly five words are here" and five.path == str(tmp_path / "five.txt")
    assert five.label == make_label(five.title) and five.title == "Exactly five words are here"


def test_windows_1252_fallback_and_its_limit(tmp_path):
    assert "café" in load_article(_write(tmp_path / "a.txt", b"A caf\xe9 article with enough words.")).text
    ten = load_article(_write(tmp_path / "b.txt", b"Undefined bytes " + b"\x81" * 10 + b" in enough words here."))
    assert ten.text.count("\ufffd") == 10
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 16\)"):
        load_article(_write(tmp_path / "c.txt", b"Undefined bytes " + b"\x81" * 11 + b" in enough words here."))


def test_load_corpus_skips_what_it_cannot_use_and_keeps_going(tmp_path):
    body = b"An article with more than five words in it."
    _write(tmp_path / "a.pdf", b"%PDF")
    _write(tmp_path / "a b.txt", body)
    _write(tmp_path / "a-b.txt", body + b" Another.")  # the same id as "a b.txt"
    _write(tmp_path / "b.txt", b"")  # unusable
    _write(tmp_path / ".hidden.txt", body + b" Hidden.")
    (tmp_path / "sub.txt").mkdir()
    _write(tmp_path / "c.TXT", body + b" Third.")
    skipped = []
    arts = load_corpus(tmp_path, on_skip=lambda path, msg: skipped.append((path.name, msg)))
    assert [a.id for a in arts] == ["a-b", "c"]
    assert [a.path for a in arts] == [str(tmp_path / "a b.txt"), str(tmp_path / "c.TXT")]
    assert [s[0] for s in skipped] == ["a-b.txt", "a.pdf", "b.txt"]
    assert "another file already has id 'a-b'" in skipped[0][1] and "not a .txt or .md" in skipped[1][1]
    assert "b.txt" in skipped[2][1] and "no article text" in skipped[2][1]


# -- chunking: sentence ends mid-text, passage sizes at their limits -----------------------
from app.corpus.chunks import Span, chunk_article, sentence_spans  # noqa: E402


def _spans(text):
    return [text[s.start:s.end] for s in sentence_spans(text)]


def test_sentence_ends_in_the_middle_of_a_text():
    # The word before a period is read inside closing and opening quotes: "Mr." is a title there too.
    assert _spans("They met the “Mr.” Smith of chips. Then more.") == ["They met the “Mr.” Smith of chips.", "Then more."]
    assert _spans("They fear the “U.S.” The rules bite. Then more.") == ["They fear the “U.S.”", "The rules bite.", "Then more."]
    assert _spans("Chips, boards etc.. Then we left. Home.") == ["Chips, boards etc..", "Then we left.", "Home."]  # the second period is the sentence's
    assert _spans("It rose... and then fell. Then it rose. Then it fell.") == ["It rose... and then fell.", "Then it rose.", "Then it fell."]
    assert _spans("I met MrX. He left.") == ["I met MrX.", "He left."]
    assert sentence_spans("Done.  ") == [Span(0, 5)] and sentence_spans("Done. \n  \nNext") == [Span(0, 5), Span(10, 14)]


def _words_article(sizes: list[int], *, sentence: bool = False) -> Article:
    paras, n = [], 0
    for size in sizes:
        words = [f"w{n + i}" for i in range(size)]
        n += size
        paras.append(" ".join(words) + ".")
    return Article(id="a", title="t", label="t", text="\n\n".join(paras), path="a.txt", sha256="1" * 64)


@pytest.mark.parametrize("sizes, passages", [
    ([60, 40, 40], [60, 80]),        # a full passage is not topped up; small ones join
    ([50, 100], [150]),              # joining up to exactly MAX_WORDS
    ([100, 25], [125]),              # a short tail joins the previous passage
    ([100, 30], [100, 30]),          # a tail of MIN_WORDS // 2 stands alone
    ([100, 100, 20], [100, 120]),    # the tail joins the last passage, not an earlier one
    ([100, 30, 40], [100, 70]),      # sizes count from the passage's start, not the article's
    ([30, 30, 100], [60, 100]),      # ... and up to the piece being added, not the article's end
])
def test_passage_sizes_at_their_limits(sizes, passages):
    art = _words_article(sizes)
    ps = chunk_article(art)
    assert [p.words for p in ps] == passages
    assert all(p.article_id == "a" and p.text == art.text[p.start:p.end] for p in ps)
    assert all(re_id.fullmatch(p.id) for p in ps)
    assert all(isinstance(p.start, int) and isinstance(p.end, int) for p in ps) and ps[-1].end == len(art.text)


import re as _re  # noqa: E402

re_id = _re.compile(r"a:[0-9a-f]{8}:\d+")


def _one_paragraph(sentence_sizes: list[int]) -> Article:
    sents, n = [], 0
    for size in sentence_sizes:
        sents.append("S " + " ".join(f"w{n + i}" for i in range(size - 1)) + ".")
        n += size
    return Article(id="a", title="t", label="t", text=" ".join(sents), path="a.txt", sha256="2" * 64)


@pytest.mark.parametrize("sentences, passages", [
    ([100, 50, 80], [150, 80]),      # a long paragraph splits into runs of sentences of at most MAX_WORDS
    ([170, 25], [195]),              # a tail joins a long single sentence up to 1.3 x MAX_WORDS
    ([180, 20], [180, 20]),          # but not beyond
])
def test_long_paragraphs_split_at_sentences(sentences, passages):
    art = _one_paragraph(sentences)
    assert [p.words for p in chunk_article(art)] == passages


def test_a_long_paragraph_after_another_splits_by_its_own_words():
    first = _words_article([20])
    second = _one_paragraph([100, 40, 30])
    art = Article(id="a", title="t", label="t", text=first.text + "\n\n" + second.text, path="a.txt", sha256="3" * 64)
    assert [p.words for p in chunk_article(art)] == [20, 140, 30]


# -- batch readers: bad lines in the middle, compare-mode columns, TSV ------------------------
from app.batch.readers import read_items  # noqa: E402


def _read(tmp_path, name, text, **kw):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    items, problems = read_items(path, **kw)
    assert all(str(p).startswith(f"{path}:") for p in problems)
    return [(it.line, it.id, it.text, it.claim) for it in items], [(p.line, p.message) for p in problems]


def test_csv_short_row_in_the_middle_is_reported_and_later_rows_read(tmp_path):
    items, problems = _read(tmp_path, "q.csv", "id,question\nq1,First?\nonly-id\nq3,Third?\n")
    assert [i[:3] for i in items] == [(2, "q1", "First?"), (4, "q3", "Third?")]
    assert problems == [(3, 'row has 1 fields but the "question" column is number 2; row skipped.')]


def test_compare_mode_csv_and_jsonl_columns(tmp_path):
    items, _ = _read(tmp_path, "t.csv", "Topic,Claim,ID\nchips,Chips matter,t1\nschools,,t2\n", field="topic")
    assert items == [(2, "t1", "chips", "Chips matter"), (3, "t2", "schools", None)]
    items, _ = _read(tmp_path, "t2.csv", "question,claim\nchips,It helps\n", field="topic")
    assert items[0][2:] == ("chips", "It helps")
    items, _ = _read(tmp_path, "t.jsonl", '{"question": "chips", "claim": "x"}\n', field="topic")
    assert items[0][2:] == ("chips", "x")
    items, problems = _read(tmp_path, "q.jsonl", '{"topic": "chips"}\n')
    assert items == [] and problems == [(1, 'no "question" key (keys found: topic).')]


def test_tab_separated_files(tmp_path):
    items, _ = _read(tmp_path, "q.tsv", "id\tquestion\nq1\tWhy, then?\n")
    assert items[0][1:3] == ("q1", "Why, then?")
    items, _ = _read(tmp_path, "q2.csv", "id\tquestion\nq1\tWhy?\n")
    assert items[0][1:3] == ("q1", "Why?")
    items, _ = _read(tmp_path, "q3.csv", "question,note\tx\nWhy?,n\n")
    assert items[0][2] == "Why?"
    items, _ = _read(tmp_path, "q4.csv", b"\xef\xbb\xbf\xef\xbb\xbfquestion\nWhy?\n")  # a BOM saved twice
    assert items[0][2] == "Why?"


def test_jsonl_problems_in_the_middle(tmp_path):
    text = '{"question": "One?"}\n[1, 2]\n{}\n{"question": 5}\n{"question": "Two?"}\n'
    items, problems = _read(tmp_path, "q.jsonl", text)
    assert [i[0] for i in items] == [1, 5]
    assert problems == [(2, 'expected a JSON object like {"id": ..., "question": ...}, got list.'),
                        (3, 'no "question" key (keys found: none).'), (4, '"question" must be a string, got int.')]


def test_txt_invisible_line_in_the_middle(tmp_path):
    items, problems = _read(tmp_path, "q.txt", "One?\n\u200b\u200b\nTwo?\n")
    assert [i[0] for i in items] == [1, 3] and problems == [(2, "empty question (only invisible characters); line skipped.")]


def test_tsv_by_name_even_when_the_header_has_a_comma(tmp_path):
    items, problems = _read(tmp_path, "q.tsv", "question\tnote, more\nWhy, then?\tx\n")
    assert [i[2] for i in items] == ["Why, then?"] and problems == []


def test_csv_columns_and_short_rows(tmp_path):
    items, _ = _read(tmp_path, "q.csv", "question,Xid\nWhy?,a\n")
    assert items[0][1].startswith("q-")  # "Xid" is not an id column
    items, problems = _read(tmp_path, "q2.csv", "question,id\nWhy?\nHow?,h1\n")
    assert [i[1:3] for i in items][1] == ("h1", "How?") and items[0][1].startswith("q-") and problems == []
    items, problems = _read(tmp_path, "q3.csv", "a" * 140_000 + ",question\nWhy?\n")
    assert items == [] and problems[0][0] == 1 and "cannot read the CSV header" in problems[0][1]


def test_jsonl_with_a_bom_and_odd_ids_and_claims(tmp_path):
    items, problems = _read(tmp_path, "q.jsonl", b'\xef\xbb\xbf{"question": "Why?"}\n{"question": "How?", "id": [1]}\n')
    assert [i[2] for i in items] == ["Why?"]
    assert problems == [(2, '"id" must be a string or a number, got list; line skipped.')]
    items, problems = _read(tmp_path, "t.jsonl", '{"topic": "chips", "claim": 5}\n{"topic": "schools"}\n', field="topic")
    assert [i[2] for i in items] == ["schools"] and problems == [(1, '"claim" must be a string, got int; line skipped.')]


def test_whole_file_problems(tmp_path):
    for bom in (b"\xff\xfe", b"\xfe\xff"):
        items, problems = _read(tmp_path, "u.txt", bom + "Why?".encode("utf-16-le"))
        assert items == [] and problems == [(0, "the file is UTF-16; save it as UTF-8 and run again.")]
    with pytest.raises(InputError, match="Batch file not found"):
        read_items(tmp_path / "missing.txt")
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        read_items(tmp_path / "dir.txt")
    items, _ = _read(tmp_path, "x.txt", "Ask about X\r\n")
    assert items[0][2] == "Ask about X"
