"""The web app without a browser: handlers, escaping, uploads, settings, concurrency (stub model)."""

from __future__ import annotations

import re
import socket
import threading
import warnings
from pathlib import Path

import gradio as gr
import pytest

from app.ui import app as ui
from app.ui import chat, corpus
from app.ui import html as H
from app.ui.settings_tab import SettingsEvents
from app.ui.shared import answers_at_once, header_html
from app.errors import InputError
from app.llm.stub import StubModel
from app.settings import setting_info

QUESTION = "Did the Chinese government deserve credit for DeepSeek's success?"
EVIL = (
    "# <script>window.__pwned=1</script> Evil title about DeepSeek\n\n"
    "DeepSeek <script>alert('x')</script> and <img src=x onerror=alert(1)> and <b>bold</b> talk about the Chinese "
    "government and DeepSeek's success. Template {{7*7}} ${alert(2)} `code` and [a link](javascript:alert(3)).\n\n"
    "A second paragraph about the Chinese government credit for DeepSeek success, export controls and chips.\n"
)
ARTICLE = "# A plain article about DeepSeek\n\nDeepSeek is a Chinese AI company whose success surprised many observers in the industry.\n"


def _run_chat(pipe, question=QUESTION, history=None, k=3, temperature=0.0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gr.Warning outside a request is a Python warning
        return list(chat.ChatEvents(pipe).answer(question, [], history or [], k, temperature))


@pytest.fixture
def small_pipe(tmp_path, make_pipe):
    seeds = tmp_path / "small"
    seeds.mkdir()
    (seeds / "a_plain.md").write_text(ARTICLE, encoding="utf-8")
    (seeds / "b_evil.md").write_text(EVIL, encoding="utf-8")
    return make_pipe(seeds)


def test_app_builds_without_launching(stub_pipe):
    demo = ui.build_app(stub_pipe)
    assert isinstance(demo, gr.Blocks)
    fns = {f.api_name: f for f in demo.fns.values()}
    model_bound = {"ask", "compare", "upload", "reindex", "settings"}
    assert model_bound <= set(fns)
    assert all(fns[n].concurrency_limit == answers_at_once(0) and fns[n].concurrency_id == "model" for n in model_bound)
    assert not demo.is_running


def test_chat_streams_then_shows_cards_and_valid_citations(stub_pipe):
    outs = _run_chat(stub_pipe)
    assert outs[0]["question"] == ""  # the box is cleared as soon as the turn starts
    streaming = [o for o in outs[1:-1] if "pv-typing" in o.get("cards", "")]
    assert len(streaming) >= 3  # viewpoints arrive piece by piece before the answer
    answering = [o for o in outs if "▍" in o["chatbot"][-1]["content"]]
    assert answering and outs.index(answering[0]) < outs.index(streaming[0])  # evidence first: the answer's lead comes before the cards
    assert all(set(o) == {"chatbot", "cards"} for o in outs[1:-1])  # while streaming, only these two change
    final = outs[-1]
    messages, cards, sources, history, result = final["chatbot"], final["cards"], final["sources"], final["history"], final["result"]
    dl_md, dl_json = final["download_md"], final["download_json"]
    assert messages[0]["role"] == "user" and messages[-1]["role"] == "assistant"
    assert cards.count('<article class="pv-card') == len(stub_pipe.articles)
    answer_cites = set(re.findall(r'href="#src-(\d+)"', messages[-1]["content"]))
    source_ids = set(re.findall(r'id="src-(\d+)"', sources))
    assert answer_cites and answer_cites <= source_ids
    assert set(re.findall(r'href="#src-(\d+)"', cards)) <= source_ids
    assert "<mark>" in sources
    assert history == [{"question": result["question"], "with": []}]
    assert Path(dl_md["value"]).read_text(encoding="utf-8").startswith("## ")
    assert '"answer"' in Path(dl_json["value"]).read_text(encoding="utf-8")


def _answer_of(outs) -> str:
    return outs[-1]["chatbot"][-1]["content"]


def _shown(outs) -> tuple:
    """What a user sees of one answer (the chat text without its timing, the cards, the sources)."""
    return re.sub(r"\d+\.\d s", "", _answer_of(outs)), outs[-1]["cards"], outs[-1]["sources"]


def test_a_new_question_in_a_chat_is_answered_as_in_a_fresh_chat(stub_pipe):
    """Asked after the government question, "Where is DeepSeek based?" carried the government
    quotes: every question was read with the one before it."""
    first = _run_chat(stub_pipe)[-1]
    second = _run_chat(stub_pipe, "Where is DeepSeek based?", history=first["history"])
    fresh = _run_chat(stub_pipe, "Where is DeepSeek based?")
    assert _shown(second) == _shown(fresh)
    assert second[-1]["result"]["answer"] == fresh[-1]["result"]["answer"]
    assert "Follow-up to" not in _answer_of(second) and "options" not in second[-1]["chatbot"][-1]
    assert "Hangzhou" in _answer_of(second) and "government" not in second[-1]["result"]["answer"]


def test_a_follow_up_says_so_and_can_be_asked_on_its_own(stub_pipe, monkeypatch):
    seen = []
    real = chat.ask_stream

    def spy(pipe, question, *, history=None):
        seen.append(list(history or []))
        return real(pipe, question, history=history)

    monkeypatch.setattr(chat, "ask_stream", spy)
    first = _run_chat(stub_pipe)[-1]
    follow = _run_chat(stub_pipe, "And what about its founder?", history=first["history"])[-1]
    assert seen[-1] == [QUESTION]  # read with the question it follows
    reply = follow["chatbot"][-1]
    assert f"Follow-up to: “{H.md_text(QUESTION)}”" in reply["content"].split("\n")[-3]  # one line, just above the footer and the option
    assert reply["options"] == [{"label": chat.ALONE, "value": "And what about its founder?"}]
    assert follow["history"][-1] == {"question": "And what about its founder?", "with": [QUESTION]}
    # A follow-up of a follow-up is read with the thread's start and its last turn.
    _run_chat(stub_pipe, "Why?", history=follow["history"])
    assert seen[-1] == [f"{QUESTION} And what about its founder?"]
    # "Ask on its own": the same question, with nothing before it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = list(chat.ChatEvents(stub_pipe).answer_alone("And what about its founder?", follow["chatbot"], follow["history"], 3, 0.0))[-1]
    assert seen[-1] == [] and "Follow-up to" not in _answer_of([alone]) and "options" not in alone["chatbot"][-1]
    assert alone["history"][-1]["with"] == []


def test_the_waiting_placeholder_is_replaced_by_the_answer(stub_pipe):
    events = chat.ChatEvents(stub_pipe)
    shown = events.waiting(QUESTION, [])["chatbot"]
    assert shown[-1]["content"] == chat.WAITING
    assert events.waiting("   ", []) == {}  # nothing to show, nothing changes
    # What Gradio 6 hands back to the next step: content as a list of typed parts.
    as_sent = gr.Chatbot().preprocess(gr.Chatbot().postprocess(shown))
    messages = list(events.answer(QUESTION, as_sent, [], 3, 0.0))[-1]["chatbot"]
    assert len(messages) == 2 and chat.WAITING not in str(messages)


def test_empty_question_and_bad_settings_give_a_message_not_a_traceback(stub_pipe):
    outs = _run_chat(stub_pipe, "   ")
    assert outs == [{"chatbot": []}]
    outs = _run_chat(stub_pipe, k=0)
    assert len(outs) == 1
    apply = SettingsEvents(stub_pipe).apply
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        msg = apply("stub", 0, 0.0)["message"]
        assert "⚠" in msg and "Passages per article must be 1-20" in msg
        msg = apply("stub", 3, 5)["message"]
        assert "Temperature must be between 0 and 2" in msg
        msg = apply("/etc/passwd", 3, 0.0)["message"]  # a web user cannot make the server read any file
        assert "only loads models from" in msg and "root:" not in msg
        msg = apply(str(stub_pipe.settings.data_dir / "models" / "nowhere.gguf"), 3, 0.0)["message"]
        assert "Model file not found" in msg
        msg = apply("stub", "three", 0.0)["message"]
        assert "should be int" in msg
    assert len(caught) == 5  # each also raised a visible warning toast
    msg = apply("stub", 4, 0.2)["message"]
    assert msg.startswith("✓")
    assert stub_pipe.settings.k == 3  # per-user settings never change the shared pipeline


def test_changing_the_model_loads_it_once_and_keeps_it(small_pipe, monkeypatch):
    import app.pipeline

    gguf = small_pipe.settings.data_dir / "models" / "Other-1B-Instruct.Q4_K_M.gguf"  # the web app loads models from here only
    gguf.parent.mkdir(parents=True, exist_ok=True)
    gguf.write_bytes(b"GGUF")
    loads = []

    def fake_load(spec, **opts):
        loads.append((spec, opts))
        model = StubModel()
        model.name = Path(spec).name  # as llama.cpp's backend names a file
        return model

    monkeypatch.setattr(app.pipeline, "load_model", fake_load)
    apply = SettingsEvents(small_pipe).apply
    out = apply(str(gguf), 3, 0.0)
    assert "loaded" in out["message"] and [spec for spec, _ in loads] == [str(gguf)]
    assert loads[0][1]["n_ctx"] == small_pipe.settings.n_ctx  # the same options the CLI would pass
    model = small_pipe.model
    apply(str(gguf), 5, 0.0)
    _run_chat(small_pipe)
    assert len(loads) == 1 and small_pipe.model is model
    assert small_pipe.settings.model == str(gguf) and "model: Other 1B<" in out["header"]  # by name and size, not file and quantisation


@pytest.mark.real_model
def test_switching_back_to_default_loads_the_q8_copy_as_the_cli_does(small_pipe):
    """The web app once dropped default_quant and cache_dir here and loaded the slower Q4_1 file."""
    out = SettingsEvents(small_pipe).apply("default", 3, 0.0)
    assert out["message"].startswith("✓") and "default" in out["message"]
    assert small_pipe.model.name == "SmolLM2-135M-Instruct.Q4_1.gguf (as Q8_0)"
    assert list((small_pipe.settings.data_dir / "models").glob("*.Q8_0.gguf"))
    assert "".join(small_pipe.model.generate([{"role": "user", "content": "Say hi."}], max_tokens=3)).strip()


def test_settings_widgets_follow_the_declarations(stub_pipe):
    from app.ui.settings_tab import widgets

    shown = widgets(stub_pipe.settings)
    for name in ("k", "temperature"):
        info = setting_info(name)
        assert (shown[name].minimum, shown[name].maximum) == (info.lo, info.hi)
        assert shown[name].label == info.title and shown[name].info == info.help
    assert shown["k"].value == stub_pipe.settings.k


@pytest.mark.parametrize("name", ["../../evil.txt", "..\\..\\evil.md", "/etc/cron.d/evil.txt", "....txt", ".hidden.md", "a b<c>.TXT"])
def test_upload_names_stay_in_the_article_folder(tmp_path, name):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    src = tmp_path / "upload.bin"
    src.write_text(ARTICLE, encoding="utf-8")
    dest = corpus.store_upload(seeds, src, name, set(), set())
    assert dest.parent == seeds.resolve() and dest.is_file()
    assert re.fullmatch(r"[A-Za-z0-9_-]+(-\d+)?\.(txt|md)", dest.name)
    assert not (tmp_path / "evil.txt").exists()


def test_upload_refuses_bad_files(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    src = tmp_path / "f"
    src.write_text(ARTICLE, encoding="utf-8")
    with pytest.raises(InputError, match=r"only \.txt, \.md, \.html/\.htm and \.pdf"):
        corpus.store_upload(seeds, src, "page.docx", set(), set())
    big = tmp_path / "big"
    big.write_bytes(b"word " * 500_000)
    with pytest.raises(InputError, match="too large"):
        corpus.store_upload(seeds, big, "big.txt", set(), set())
    binary = tmp_path / "bin"
    binary.write_bytes(b"\x00\x01" * 100)
    with pytest.raises(InputError, match="binary"):
        corpus.store_upload(seeds, binary, "x.txt", set(), set())
    first = corpus.store_upload(seeds, src, "same.txt", set(), set())
    second = corpus.store_upload(seeds, src, "same.txt", {"same"}, set())  # never overwrites
    assert first.name == "same.txt" and second.name == "same-2.txt"
    assert list(seeds.iterdir()) and all(p.parent == seeds for p in seeds.iterdir())


def test_upload_handler_indexes_the_new_article(small_pipe, tmp_path):
    up = tmp_path / "up"
    up.mkdir()
    f = up / "new article.md"
    f.write_text("# Export controls and DeepSeek\n\nThe export controls on chips did not stop DeepSeek from training a strong model cheaply.\n", encoding="utf-8")
    out = corpus.CorpusEvents(small_pipe).add_articles([str(f)], progress=lambda *a, **k: None)
    msg, table, header = out["message"], out["table"], out["header"]
    assert "Added" in msg and out["files"] is None  # the upload box is cleared
    assert len(small_pipe.articles) == 3 and (small_pipe.settings.seeds / "new-article.md").is_file()
    assert "Export controls and DeepSeek" in table and "3 articles" in header
    assert "new-article" in small_pipe.index.status()["articles"]


def test_untrusted_text_is_escaped_everywhere(small_pipe):
    outs = _run_chat(small_pipe, "What do the articles say about the Chinese government and DeepSeek's success?")
    messages, cards, sources = outs[-1]["chatbot"], outs[-1]["cards"], outs[-1]["sources"]
    table, _ = corpus.corpus_view(small_pipe)
    everything = [cards, sources, table, messages[-1]["content"], header_html(small_pipe)] + [o["cards"] for o in outs if "cards" in o]
    for html_out in everything:
        assert "<script" not in html_out and "<img" not in html_out and "<b>bold" not in html_out
        assert "{{" not in html_out and "${" not in html_out  # Gradio's HTML templates see no template syntax
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in cards + table  # shown, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in sources


def test_markdown_escaping_keeps_text_literal():
    assert H.md_text("<b>x</b> *y* [z](javascript:1)") == "&lt;b&gt;x&lt;/b&gt; \\*y\\* \\[z\\](javascript:1)"
    assert H.md_answer("Yes [2], no <i>") == 'Yes <a class="cite" href="#src-2">[2]</a>, no &lt;i&gt;'
    assert H.highlight("a <b> c", [(2, 5)]) == "a <mark>&lt;b&gt;</mark> c"
    assert H.highlight("abcdef", [(0, 3), (2, 5)]) == "<mark>abcde</mark>f"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("sessions", [1, 2])
def test_two_concurrent_users_both_get_answers(stub_pipe, monkeypatch, sessions):
    """With web_sessions=1 the second user waits for the first; with 2 both are answered at
    the same time: each answer waits at a barrier for the other's, which would time out (and
    show an error turn) if they ran one after another."""
    from gradio_client import Client

    active, peak = [0], [0]
    lock = threading.Lock()
    meet = threading.Barrier(2, timeout=30)
    real = chat.ask_stream

    def counted(*a, **kw):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            if sessions > 1:
                meet.wait()
            yield from real(*a, **kw)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(chat, "ask_stream", counted)
    monkeypatch.setattr(stub_pipe, "settings", stub_pipe.settings.with_(web_sessions=sessions))
    demo = ui.launch(stub_pipe, port=_free_port(), block=False, quiet=True)
    try:
        answers: dict[int, object] = {}

        def user(i):
            client = Client(demo.local_url, verbose=False, download_files=False)
            answers[i] = client.predict(f"{QUESTION} (user {i})", [], 3, 0.0, api_name="/ask")

        threads = [threading.Thread(target=user, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert set(answers) == {0, 1}
        for out in answers.values():
            shown = out[1]  # the /ask API's outputs keep their order: the chat is second
            assert shown[-1]["role"] == "assistant" and re.search(r"\[\d+\]", str(shown[-1]["content"]))
        assert peak[0] == sessions
    finally:
        demo.close()


def test_compare_handler_streams_rows_and_offers_downloads(stub_pipe):
    import dataclasses

    from app.ui.compare import make_compare_handler

    run = make_compare_handler(stub_pipe)
    outs = list(run("export controls", "", 3, 0.0, []))
    assert any("reading…" in o["matrix"] for o in outs[:-1])  # rows arrive one by one
    final = outs[-1]
    matrix, chart, dl_csv, dl_md, session = final["matrix"], final["chart"], final["download_csv"], final["download_md"], final["session"]
    assert matrix.count("<tr>") == len(stub_pipe.articles) + 1 and "pv-badge" in matrix
    # No labels (the stub fails the calibration): what separates the articles instead of "not judged".
    assert "not judged" not in matrix and "see the evidence" not in matrix and "Discusses the topic?" in matrix
    assert "discusses it" in matrix and re.search(r"\d key sentences?", matrix)
    rows = [dataclasses.asdict(r) for r in final["session"][-1].rows]
    rows[0].update(stance="not addressed", status="silent", quotes=[])
    assert "does not discuss it" in H.matrix_html(rows, {})
    widths = [float(w) for w in re.findall(r'width:(\d+)%', matrix)]
    assert max(widths) == 100 and min(widths) < 100  # evidence strength next to the strongest article's
    assert Path(chart["value"]).read_bytes()[:4] == b"\x89PNG"
    assert Path(dl_csv["value"]).read_text(encoding="utf-8").startswith("topic,claim,article_id")
    assert Path(dl_md["value"]).read_text(encoding="utf-8").startswith("## export controls")
    from app.render.plot import coverage_matrix

    _, _, cells = coverage_matrix(final["session"])
    assert {c for row in cells for c, _ in row} >= {"strong evidence", "may not address it"}  # the chart shows the same, per topic
    outs = list(run("chips", "DeepSeek used fewer chips.", 3, 0.0, session))
    session2 = outs[-1]["session"]
    assert [r.topic for r in session2] == ["export controls", "chips"]  # the heatmap and downloads cover both
    assert session2[-1].claim_source == "user"


def test_answers_at_once_follow_the_cores_unless_set(monkeypatch):
    import app.ui.shared as shared

    for cores, expected in ((1, 1), (2, 1), (4, 2), (16, 4)):
        monkeypatch.setattr(shared, "usable_cores", lambda cores=cores: cores)
        assert shared.answers_at_once(0) == expected
    assert shared.answers_at_once(3) == 3


AUTHORS = ["Lena Hofstra", "Marta Kowalski", "Yu Wei", "Sam Okafor", "Ines Duarte", "Tom Berg", "Ana Ruiz"]


def _rows(n: int) -> list[dict]:
    """n corpus-table rows: dated every third day from 1 Jan 2025, every fifth undated, two outlets."""
    import datetime as dt

    rows = []
    for i in range(n):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=3 * i)
        rows.append({"id": f"a{i:03d}", "position": i, "title": f"Article {i:03d} on chips", "file": f"a{i:03d}.md", "words": 100 + i,
                     "state": "indexed", "outlet": "The Harbour Times" if i % 2 else "NRC", "author": AUTHORS[i % len(AUTHORS)],
                     "date": "" if i % 5 == 4 else day.isoformat(), "mtime": float(i)})
    return rows


def test_corpus_table_searches_sorts_and_pages():
    rows = _rows(60)
    newest = corpus.table_view(rows)
    assert (newest.matched, newest.pages, len(newest.rows)) == (60, 3, corpus.PAGE_ROWS)
    dates = [r["date"] for r in corpus.table_view(rows, page=1).rows + corpus.table_view(rows, page=2).rows]
    assert newest.rows[0]["id"] == "a058" and dates[-12:] == [""] * 12  # newest first, undated last
    assert corpus.table_view(rows, sort=corpus.OLDEST).rows[0]["id"] == "a000"
    assert [r["id"] for r in corpus.table_view(rows, sort=corpus.TITLE).rows[:2]] == ["a000", "a001"]
    assert corpus.table_view(rows, sort=corpus.OUTLET).rows[0]["outlet"] == "NRC"
    assert corpus.table_view(rows, sort=corpus.ADDED).rows[0]["id"] == "a059"
    harbour = corpus.table_view(rows, "harbour  times", sort=corpus.TITLE)  # every word must match, any case
    assert harbour.matched == 30 and all(r["outlet"] == "The Harbour Times" for r in harbour.rows)
    assert corpus.table_view(rows, "Kowalski").matched == len([i for i in range(60) if i % 7 == 1])  # authors too
    assert corpus.table_view(rows, page=99).page == 2 and corpus.table_view(rows, page=-5).page == 0  # clamped
    second = corpus.table_view(rows, sort=corpus.TITLE, page=1)
    for r in second.rows:
        r["date_shown"] = H.human_date(r["date"])
    shown = H.corpus_html(second, {"complete": True, "format_ok": True, "updated": "2026-12-03T13:19:03", "path": "/x"}, [])
    assert "26–50 of 60 articles · page 2 of 3" in shown
    assert shown.count("<tr>") == 26 and "Article 025 on chips" in shown and "Article 024 on chips" not in shown
    assert "17 Mar 2025" in shown and "2025-03-17" not in shown  # dates for people (row 25: 1 Jan + 75 days)
    assert "updated 3 Dec 2026, 13:19" in shown and "T13:19" not in shown
    none = H.corpus_html(corpus.table_view(rows, "nothing like this"), {}, [], query="nothing like this")
    assert "No article matches “nothing like this”" in none and "0 articles matching" in none


def test_corpus_tab_shows_outlet_author_and_date(tmp_path, make_pipe):
    seeds = tmp_path / "dated"
    seeds.mkdir()
    (seeds / "a.md").write_text("---\ntitle: A long title about DeepSeek that must never be cut short, whatever its length in the table\n"
                                "outlet: The Harbour Times\nauthor: Marta Kowalski\ndate: '2025-02-03'\n---\n\n" + ARTICLE, encoding="utf-8")
    (seeds / "b.md").write_text(EVIL, encoding="utf-8")
    pipe = make_pipe(seeds)
    events = corpus.CorpusEvents(pipe)
    table = events.refresh()["table"]
    assert "A long title about DeepSeek that must never be cut short, whatever its length in the table" in table
    assert "The Harbour Times" in table and "Marta Kowalski" in table and "3 Feb 2025" in table
    assert "no date" in table  # the article without one says so
    found = events.search("harbour", corpus.NEWEST)
    assert found["page"] == 0 and "Marta Kowalski" in found["table"] and "Evil title" not in found["table"]
    assert "1 article matching “harbour” (of 2)" in found["table"]
    assert events.next_page("", corpus.NEWEST, 0)["page"] == 0  # one page only


INTERNAL_TERMS = ("support check", "gold", "Q4_1", "Q8_0", ".gguf", "accuracy", "chars ", "addressing article", "not judged")


@pytest.mark.parametrize("name, shown", [
    ("SmolLM2-135M-Instruct.Q4_1.gguf (as Q8_0)", "SmolLM2 135M"),
    ("default", "SmolLM2 135M"),
    ("/models/qwen2.5-1.5b-instruct-q4_k_m.gguf", "qwen2.5 1.5b"),
    ("Llama-3.2-1B-Instruct-Q8_0.gguf", "Llama 3.2 1B"),
    ("stub", "stub (test model)"),
])
def test_models_are_named_by_name_and_size(name, shown):
    assert H.model_display_name(name) == shown


def test_chat_and_compare_speak_the_readers_words(stub_pipe):
    import dataclasses

    from app.answer.ask import ask

    final = _run_chat(stub_pipe)[-1]
    result = ask(stub_pipe, QUESTION)
    hidden = dataclasses.replace(result, dropped=2, dropped_reasons=["not a whole sentence", "names or cites no addressing article"])
    cards = H.cards_final(hidden, chat.article_index(stub_pipe))
    assert ("2 model-written sentences were hidden because they were not complete sentences or they did not say "
            "which article they were about.") in cards
    one = H.cards_final(dataclasses.replace(result, dropped=1, dropped_reasons=["number not in the evidence"]), {})
    assert H.esc("1 model-written sentence was hidden because the quotes don't back it.") in one
    from app.ui.compare import make_compare_handler

    contrast = list(make_compare_handler(stub_pipe)("export controls", "", 3, 0.0, []))[-1]["contrast"]
    assert "test claims with known answers" in contrast and "stub (test model)" in contrast
    for shown in (final["chatbot"][-1]["content"], final["sources"], cards, one, contrast, header_html(stub_pipe)):
        assert not [t for t in INTERNAL_TERMS if t in shown], shown


def test_suggestions_are_topics_the_articles_differ_on(stub_pipe, small_pipe):
    from app.answer.topics import key_phrases
    from app.ui.shared import suggested_questions, topic_choices

    used_by = {t.topic: t.articles for t in key_phrases(stub_pipe.passages)}
    topics = topic_choices(stub_pipe)
    assert len(topics) >= 4
    assert all(0 < used_by[t.lower()] < len(stub_pipe.articles) for t in topics)  # some articles, not all
    assert "Liang Wenfeng" in topics  # as the articles write it
    questions = suggested_questions(stub_pipe)
    assert len(questions) == 4 and all(f"“{t}”" in q for q, t in zip(questions, topics))
    events = chat.ChatEvents(stub_pipe)
    assert events.pick(1, questions) == {"question": questions[1]} and events.pick(9, questions) == {}
    # Two short articles share no topic: nothing is suggested rather than questions written for other articles.
    assert suggested_questions(small_pipe) == []
    assert chat.ChatEvents(small_pipe).suggestions()["examples"].visible is False
