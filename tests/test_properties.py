"""Property-based tests (Hypothesis) for every function that takes outside input.

Each test states its invariant in its docstring. Runs are derandomized (the same examples
on every run and machine), use no example database (nothing written into the work tree),
and have bounded example counts and deadlines: the whole module takes well under a minute.
Not here: hand-picked examples (test_bad_input.py, test_batch.py, test_corpus.py).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from app.answer.citations import CitationFilter, clean_citations, verify_quote
from app.answer.question import clean_question
from app.batch.readers import read_items
from app.corpus.articles import Article, clean_text, load_article, make_label
from app.corpus.chunks import MAX_WORDS, chunk_article, sentence_spans
from app.errors import InputError
from app.settings import Settings

# One profile for the module: fixed examples, bounded time, no database in the work tree.
# PERSPECTIVES_PROPERTY_EXAMPLES lowers the count for mutation runs (bench/mutation.sh), where
# every mutant re-runs the properties; the test run uses the default.
EXAMPLES = int(os.environ.get("PERSPECTIVES_PROPERTY_EXAMPLES", "500"))
FAST = settings(derandomize=True, database=None, max_examples=EXAMPLES, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOW = settings(FAST, max_examples=max(10, EXAMPLES * 2 // 5))  # examples that each touch the disk or run ftfy on long text


# ---------------------------------------------------------------- strategies

# Pieces that real (and damaged) articles and questions contain, mixed with arbitrary text.
FRAGMENTS = [
    " ", "  ", "\n", "\n\n", "\r\n", "\t", "\u2028", "\x0b", "\x00", "\x1b[31m", "\x1b[2J", "\x07", "\ufeff", "\u200b",
    ". ", "! ", "? ", "…", "...", "” ", "’", "ā", "Itās ", "āSputnik momentā ", "U.S. ", "Mr. ", "e.g. ", "No. 5 ",
    "#", "# Heading words here", "Skip to content", "Read also", "Leave a Comment", "nrc.nl", "%2Fs3%2Fx.jpg&w=1",
    "DeepSeek", "chips", "export controls", "government", "[1]", "[", "]", "\ud800", "é", "e\u0301", "中国", "ا",
]
WORDS = ["DeepSeek", "chips", "China", "the", "state", "U.S.", "Mr.", "export", "talent", "“quoted”", "it’s", "e.g.", "5%"]
SEPARATORS = [" ", " ", " ", ". ", ", ", "! ", "? ", "\n\n", "\n", "… ", ".” ", ". ", " — "]

junk_text = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join),
                      st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=40).map("".join))


@st.composite
def prose(draw, max_words: int = 500) -> str:
    """Article-like text: words and sentence/paragraph separators, long enough to be chunked."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=max_words))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    tail = draw(st.sampled_from(["", ".", " words after the last full stop", "\n\nA closing line without a stop"]))
    return "".join(w + s for w, s in zip(words, seps)) + tail


def _article(body: str) -> Article:
    return Article(id="a", title="T", label="T", text=body, path="a.txt", sha256="0" * 64)


def _no_control(text: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cs") and not ch.isspace() for ch in text) and "\x1b" not in text


# ---------------------------------------------------------------- question cleaning


@FAST
@given(question=junk_text, max_chars=st.integers(1, 400))
def test_question_cleaning_never_raises_anything_but_input_error(question, max_chars):
    """Invariant: clean_question either raises InputError or returns a non-empty, stripped
    question of at most max_chars characters with no control characters or terminal escapes."""
    try:
        q, notices = clean_question(question, max_chars)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert q and q == q.strip() and len(q) <= max_chars
    assert _no_control(q) and all(not ch.isspace() or ch == " " for ch in q)
    assert all(isinstance(n, str) and n for n in notices)


# ---------------------------------------------------------------- corpus repair and chunking


@SLOW
@given(data=st.one_of(st.binary(max_size=400), junk_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                      prose(300).map(lambda t: t.encode("utf-8"))))
def test_loading_any_bytes_gives_an_article_or_an_input_error(data):
    """Invariant: load_article on any bytes returns a clean Article (no control characters,
    paragraphs split by exactly one blank line, no padding) or raises InputError; and every
    passage and sentence of that article slices its cleaned text exactly."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "article.txt"
        path.write_bytes(data)
        try:
            art = load_article(path)
        except InputError:
            return
    text = art.text
    assert text == text.strip() and "\n\n\n" not in text and _no_control(text.replace("\n", " "))
    assert all(p == p.strip() and p for p in text.split("\n\n"))
    for p in chunk_article(art):
        assert text[p.start:p.end] == p.text
        for s in sentence_spans(text, p.start, p.end):
            assert p.start <= s.start < s.end <= p.end


@FAST
@given(raw=st.one_of(junk_text, prose(200)))
def test_clean_text_output_is_tidy_for_any_text(raw):
    """Invariant: clean_text never crashes; the body has no control characters, no runs of
    spaces, paragraphs separated by exactly one blank line, none of them empty."""
    title, body = clean_text(raw)
    assert body == body.strip() and "  " not in body and "\n\n\n" not in body
    assert all(para and para == para.strip() for para in body.split("\n\n")) or body == ""
    assert _no_control(body.replace("\n", " "))
    assert title is None or (title and "\n" not in title)


@FAST
@given(text=st.one_of(junk_text, prose(300)), cut=st.tuples(st.integers(0, 400), st.integers(0, 400)))
def test_sentence_spans_slice_exactly_and_cover_every_word(text, cut):
    """Invariant: sentence spans of text[a:b] are ordered, non-empty, trimmed, inside [a, b],
    and together hold exactly the words of text[a:b] (nothing dropped, nothing doubled)."""
    a, b = sorted(min(c, len(text)) for c in cut)
    spans = sentence_spans(text, a, b)
    for s, nxt in zip(spans, spans[1:]):
        assert s.end <= nxt.start
    for s in spans:
        assert a <= s.start < s.end <= b
        assert not text[s.start].isspace() and not text[s.end - 1].isspace()
    assert " ".join(text[s.start:s.end] for s in spans).split() == text[a:b].split()


# Words inside a sentence that end in a period without ending it, and what starts and ends one.
INSIDE = ["chips", "the state", "said", "Mr. Liang", "Mrs. Ng", "Dr. Ruth Lee", "Steven T. Mnuchin", "Lt. Gen. Ray Odom",
          "No. 3", "Jan. 5", "Sept. 30", "p. 4", "at 4 p.m. on Friday", "the U.S. and its allies", "e.g. chips",
          "Sen. Warren", "J. R. R. Tolkien", "“a Sputnik moment”", "(see Art. 5)", "Gov. Newsom", "5.5 percent"]
OPENERS = ["The", "Chips", "“We", "\"They", "In 2024", "Mr. Liang", "No one", "‘Fine", "It", "U.S. officials", "Dr. Ruth Lee",
           "Jan. 5 was", "No. 3 is", "Steven T. Mnuchin", "“U.S. chips"]
CLOSERS = [".", "!", "?", ".”", "?”", ".\"", "!’", ".)", "…"]


@st.composite
def sentences(draw) -> list[str]:
    out = []
    for _ in range(draw(st.integers(1, 6))):
        words = [draw(st.sampled_from(OPENERS))] + draw(st.lists(st.sampled_from(INSIDE), min_size=1, max_size=6))
        out.append(" ".join(words) + draw(st.sampled_from(CLOSERS)))
    return out


@FAST
@given(parts=sentences(), gap=st.sampled_from([" ", "  ", "\n", "\n\n", " \n"]))
def test_sentences_never_end_at_an_abbreviation(parts, gap):
    """Invariant: sentences holding titles, initials, "No. 3", "Jan. 5", "p.m." and "U.S."
    come back whole, each an exact slice of the text (what a quote cites)."""
    text = gap.join(parts)
    spans = sentence_spans(text)
    assert [text[s.start:s.end] for s in spans] == parts


@FAST
@given(raw=prose(700))
def test_passages_cover_the_article_exactly(raw):
    """Invariant (coverage): passages are exact slices of the cleaned text, in order and
    without overlap, and their words together are the article's words; a passage longer
    than 1.3 x MAX_WORDS is a single sentence that cannot be split."""
    _, body = clean_text(raw)
    art = _article(body)
    ps = chunk_article(art)
    assert [p.position for p in ps] == list(range(len(ps))) and len({p.id for p in ps}) == len(ps)
    for p, nxt in zip(ps, ps[1:]):
        assert p.end <= nxt.start
    for p in ps:
        assert body[p.start:p.end] == p.text and p.text == p.text.strip() and p.text
        if p.words > MAX_WORDS * 1.3:
            assert len(sentence_spans(body, p.start, p.end)) == 1
    assert " ".join(p.text for p in ps).split() == body.split()


@FAST
@given(title=st.text(max_size=120), limit=st.integers(5, 90))
def test_labels_are_a_prefix_of_the_title_cut_at_a_word(title, limit):
    """Invariant: a label is the whole title when it fits; otherwise a leading part of the
    title (ending on a word) plus an ellipsis, never longer than the limit plus the ellipsis."""
    label = make_label(title, limit)
    if len(title) <= limit:
        assert label == title
        return
    assert label.endswith("…") and len(label) <= limit + 1
    head = label[:-1]
    assert title.startswith(head)


# ---------------------------------------------------------------- streaming citation filter

cite_text = st.lists(st.sampled_from(["[", "]", "1", "2", "3", "12", "999", "1234", " ", "a", "[1]", "[4]", "[12]", "\n"]),
                     max_size=40).map("".join)


def _reference(text: str, allowed: set[int]) -> str:
    """The specification: a complete `[n]` (1-3 digits) survives only if n is allowed; a cut-off
    marker at the very end of the stream is dropped; every other character is kept."""
    out = re.sub(r"\[(\d{1,3})\]", lambda m: m.group(0) if int(m.group(1)) in allowed else "", text)
    return re.sub(r"\[\d{0,3}\Z", "", out) if re.search(r"\[\d{0,3}\Z", text) else out


@FAST
@given(text=cite_text, allowed=st.sets(st.integers(0, 20), max_size=5), cuts=st.lists(st.integers(0, 60), max_size=8))
def test_citation_filter_gives_the_same_output_however_the_stream_is_split(text, allowed, cuts):
    """Invariant: feeding the text in pieces split at any points gives the same output as
    feeding it whole, and that output is the reference rule applied to the whole text."""
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)])]
    f = CitationFilter(allowed)
    streamed = "".join(f.feed(p) for p in pieces) + f.flush()
    assert streamed == clean_citations(text, allowed) == _reference(text, allowed)


@FAST
@given(article=st.text(min_size=1, max_size=200), data=st.data())
def test_verify_quote_accepts_only_the_exact_slice(article, data):
    """Invariant: verify_quote(text, q, start, end) is True exactly when 0 <= start < end <=
    len(text) and q == text[start:end]; a wrong quote at valid offsets is refused."""
    start = data.draw(st.integers(-3, len(article) + 3))
    end = data.draw(st.integers(-3, len(article) + 3))
    valid = 0 <= start < end <= len(article)
    right = article[start:end] if valid else "x"
    assert verify_quote(article, right, start, end) is valid
    wrong = data.draw(st.text(max_size=20).filter(lambda q: q != right))
    assert verify_quote(article, wrong, start, end) is False


# ---------------------------------------------------------------- batch readers

LINE_KINDS = {
    ".txt": st.one_of(st.sampled_from(["What about chips?", "# a comment", "", "   ", "\u200b", "Mr. Liang, again?"]),
                      st.text(max_size=30)),
    ".jsonl": st.one_of(st.builds(lambda q, i: json.dumps({"id": i, "question": q}), st.text(max_size=20), st.one_of(st.none(), st.text(max_size=5), st.integers(), st.booleans())),
                        st.sampled_from(['{"question": "Why?"}', '{"q": 1}', "[1, 2]", "{bad json", '"just a string"', "", "null"]),
                        st.text(max_size=20)),
    ".csv": st.one_of(st.sampled_from(["Why chips?", "q1,What now?", '"a, b",c', ",", "", "x,\"unclosed", "a\rb,c", "\t"]),
                      st.text(alphabet=st.sampled_from('ab ,"\t\r?'), max_size=15)),
}
CSV_HEADERS = ["question", "id,question", "Question,id,claim", "text", ""]


@st.composite
def batch_file(draw):
    ext = draw(st.sampled_from(sorted(LINE_KINDS)))
    lines = [draw(st.sampled_from(CSV_HEADERS))] if ext == ".csv" else []
    lines += draw(st.lists(LINE_KINDS[ext], max_size=12))
    data = [line.encode("utf-8", "surrogatepass") for line in lines]
    if draw(st.booleans()) and data:  # one line that is not UTF-8, anywhere in the file
        at = draw(st.integers(0, len(data) - 1))
        data[at] = b"caf\xe9 " + data[at]
    return ext, b"\n".join(data) + draw(st.sampled_from([b"", b"\n"]))


def _accounted(items, problems) -> set[int]:
    return {it.line for it in items} | {p.line for p in problems}


@FAST
@given(spec=batch_file())
def test_every_batch_line_is_read_or_reported_with_its_line_number(spec):
    """Invariant: read_items never raises on any file content; every problem prints as
    `file:line: problem` with a real line number; every line that holds something (txt: not a
    comment, jsonl: not blank, csv: a row on one line) is either an item or a problem."""
    ext, data = spec
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"q{ext}"
        path.write_bytes(data)
        items, problems = read_items(path)
    physical = data.split(b"\n")
    if physical and physical[-1] == b"":
        physical.pop()
    for p in problems:
        assert 0 <= p.line <= max(1, len(physical))
        assert re.match(rf"^{re.escape(str(path))}(:\d+)?: \S", str(p))
    assert all(it.text and it.id for it in items) and len({it.id for it in items}) == len(items)
    seen = _accounted(items, problems)
    must = _lines_that_must_be_accounted(ext, physical, problems)
    assert must <= seen, f"lines neither read nor reported: {sorted(must - seen)}"


def _lines_that_must_be_accounted(ext: str, physical: list[bytes], problems) -> set[int]:
    must = set()
    for n, raw in enumerate(physical, 1):
        try:
            line = raw.rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            must.add(n)
            continue
        if ext == ".txt" and line.strip() and not line.lstrip().startswith("#"):
            must.add(n)
        elif ext == ".jsonl" and line.strip():
            must.add(n)
    if ext == ".csv" and not any(b'"' in raw for raw in physical) and not any(p.line and "header" in p.message for p in problems):
        header_seen = False
        for n, raw in enumerate(physical, 1):
            try:
                line = raw.rstrip(b"\r").decode("utf-8")
            except UnicodeDecodeError:
                continue
            if not header_seen:
                header_seen = True
            elif line.replace(",", "").replace("\t", "").strip():
                must.add(n)
    return must


@FAST
@given(before=st.integers(0, 5), after=st.integers(1, 5))
def test_a_bad_line_in_the_middle_never_hides_the_lines_after_it(before, after):
    """Invariant: a non-UTF-8 line, a malformed CSV row or a duplicate in the *middle* of a
    file is reported with its own line number, and every later line keeps its number."""
    for ext, bad in ((".txt", b"caf\xe9?"), (".csv", b"a\rb,c"), (".jsonl", b"{oops"), (".txt", b"Question 0?")):
        if bad == b"Question 0?" and before == 0:
            continue  # a duplicate needs an earlier line to repeat
        head = [b"question"] if ext == ".csv" else []
        body = [f"Question {i}?".encode() if ext != ".jsonl" else json.dumps({"question": f"Question {i}?"}).encode()
                for i in range(before + after)]
        lines = head + body[:before] + [bad] + body[before:]
        bad_line = len(head) + before + 1
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"q{ext}"
            path.write_bytes(b"\n".join(lines) + b"\n")
            items, problems = read_items(path)
        later = [it.line for it in items if it.line > bad_line]
        assert later == list(range(bad_line + 1, len(lines) + 1)), (ext, bad, items, problems)
        assert [p.line for p in problems] == [bad_line], (ext, bad, problems)


# ---------------------------------------------------------------- TOML config

KEYS = ["k", "quotes", "floor", "n_ctx", "threads", "temperature", "llm_timeout", "data_dir", "seeds", "model",
        "llm_url", "chroma_url", "embed_model", "default_quant", "unknown_key", "llm_api_key"]
toml_values = st.one_of(
    st.integers(-2**70, 2**70).map(str), st.floats(allow_nan=True).map(lambda f: repr(f).replace("inf", "inf")),
    st.sampled_from(["nan", "inf", "-inf", "true", "false", "1979-05-27", "[]", "[1, 2]", "{a = 1}", '""', "'x'", "0x10", "1_000"]),
    st.text(max_size=15).map(json.dumps), st.text(max_size=8),
)
toml_line = st.one_of(st.builds("{} = {}".format, st.sampled_from(KEYS), toml_values), st.text(max_size=20),
                      st.sampled_from(["[section]", "k = 1\nk = 2", "# comment", "a.b = 1", '"k" = 3']))
toml_file = st.one_of(st.lists(toml_line, max_size=6).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")),
                      st.binary(max_size=60))


@SLOW
@given(content=toml_file)
def test_any_config_file_gives_settings_or_one_clear_input_error(content):
    """Invariant: Settings.load(config=FILE) on any file content returns Settings or raises
    InputError with a one-line message naming the file; never another exception."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "perspectives.toml"
        path.write_bytes(content)
        try:
            Settings.load(config=path)
        except InputError as exc:
            msg = str(exc)
            assert "\n" not in msg.strip() and (str(path) in msg or "must be" in msg or "got" in msg), msg


@settings(FAST, max_examples=12)
@given(content=toml_file)
def test_perspectives_config_on_any_file_exits_0_or_2_without_a_traceback(content):
    """Invariant: `perspectives config --config FILE` exits 0, or 2 with one error line; no traceback."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.toml"
        path.write_bytes(content)
        r = CliRunner().invoke(cli_group(), ["config", "--config", str(path), "--data-dir", str(Path(tmp) / "d")])
    assert r.exit_code in (0, 2), (r.exit_code, r.output, r.exception)
    assert "Traceback" not in r.output
    if r.exit_code == 2:
        assert len([ln for ln in r.output.splitlines() if ln.strip()]) == 1, r.output


def cli_group():
    from app.cli.main import cli

    return cli


@pytest.mark.parametrize("content", [b'data_dir = "a\\u0000b"\n', b"k = 3\n\xff\xfe\n", b'seeds = "\\u0000"\n'])
def test_config_bytes_that_tripped_the_loader_are_input_errors(tmp_path, content):
    """Invariant: the examples Hypothesis found (a NUL in a path, a file that is not UTF-8)
    stay InputErrors naming the file."""
    path = tmp_path / "c.toml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(str(path))):
        Settings.load(config=path)
