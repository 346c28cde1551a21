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
from app.ui import html as H
from app.errors import InputError
from app.llm.stub import StubModel

QUESTION = "Did the Chinese government deserve credit for DeepSeek's success?"
EVIL = (
    "# <script>window.__pwned=1</script> Evil title about DeepSeek\n\n"
    "DeepSeek <script>alert('x')</script> and <img src=x onerror=alert(1)> and <b>bold</b> talk about the Chinese "
    "government and DeepSeek's success. Template {{7*7}} ${alert(2)} `code` and [a link](javascript:alert(3)).\n\n"
    "A second paragraph about the Chinese government credit for DeepSeek success, export controls and chips.\n"
)
ARTICLE = "# A plain article about DeepSeek\n\nDeepSeek is a Chinese AI company whose success surprised many observers in the industry.\n"


def _run_chat(pipe, question=QUESTION, history=None, k=3, temperature=0.0):
    h = ui.make_handlers(pipe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gr.Warning outside a request is a Python warning
        return list(h["chat"](question, [], history or [], k, temperature))


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
    assert all(fns[n].concurrency_limit == 1 and fns[n].concurrency_id == "model" for n in model_bound)
    assert not demo.is_running


def test_chat_streams_then_shows_cards_and_valid_citations(stub_pipe):
    outs = _run_chat(stub_pipe)
    streaming = [o for o in outs[1:-1] if isinstance(o[2], str) and "pv-typing" in o[2]]
    assert len(streaming) >= 3  # viewpoints arrive piece by piece before the answer
    answering = [o for o in outs if isinstance(o[1], list) and "▍" in o[1][-1]["content"]]
    assert answering and outs.index(answering[0]) > outs.index(streaming[0])  # the answer streams after the viewpoints
    _, messages, cards, sources, history, result, dl_md, dl_json = outs[-1]
    assert messages[0]["role"] == "user" and messages[-1]["role"] == "assistant"
    assert cards.count('<article class="pv-card') == len(stub_pipe.articles)
    answer_cites = set(re.findall(r'href="#src-(\d+)"', messages[-1]["content"]))
    source_ids = set(re.findall(r'id="src-(\d+)"', sources))
    assert answer_cites and answer_cites <= source_ids
    assert set(re.findall(r'href="#src-(\d+)"', cards)) <= source_ids
    assert "<mark>" in sources
    assert history == [result["question"]]
    assert Path(dl_md["value"]).read_text(encoding="utf-8").startswith("## ")
    assert '"answer"' in Path(dl_json["value"]).read_text(encoding="utf-8")


def test_follow_up_sends_previous_questions_as_history(stub_pipe, monkeypatch):
    seen = []
    real = ui.ask_stream

    def spy(pipe, question, *, history=None):
        seen.append(list(history or []))
        return real(pipe, question, history=history)

    monkeypatch.setattr(ui, "ask_stream", spy)
    first = _run_chat(stub_pipe)[-1]
    _run_chat(stub_pipe, "And what about its founder?", history=first[4])
    assert seen == [[], [first[5]["question"]]]


def test_the_waiting_placeholder_is_replaced_by_the_answer(stub_pipe):
    h = ui.make_handlers(stub_pipe)
    shown = h["waiting"](QUESTION, [])
    assert shown[-1]["content"] == ui.WAITING
    # What Gradio 6 hands back to the next step: content as a list of typed parts.
    as_sent = gr.Chatbot().preprocess(gr.Chatbot().postprocess(shown))
    messages = list(h["chat"](QUESTION, as_sent, [], 3, 0.0))[-1][1]
    assert len(messages) == 2 and ui.WAITING not in str(messages)


def test_empty_question_and_bad_settings_give_a_message_not_a_traceback(stub_pipe):
    outs = _run_chat(stub_pipe, "   ")
    assert len(outs) == 1 and outs[0][1] == []
    outs = _run_chat(stub_pipe, k=0)
    assert len(outs) == 1
    h = ui.make_handlers(stub_pipe)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        msg, _ = h["apply_settings"]("stub", 0, 0.0)
        assert "⚠" in msg and "Passages per article must be 1-20" in msg
        msg, _ = h["apply_settings"]("stub", 3, 5)
        assert "Temperature must be between 0 and 2" in msg
        msg, _ = h["apply_settings"]("/etc/passwd", 3, 0.0)  # a web user cannot make the server read any file
        assert "only loads models from" in msg and "root:" not in msg
        msg, _ = h["apply_settings"](str(stub_pipe.settings.data_dir / "models" / "nowhere.gguf"), 3, 0.0)
        assert "Model file not found" in msg
    assert len(caught) == 4  # each also raised a visible warning toast
    msg, _ = h["apply_settings"]("stub", 4, 0.2)
    assert msg.startswith("✓")
    assert stub_pipe.settings.k == 3  # per-user settings never change the shared pipeline


def test_changing_the_model_loads_it_once_and_keeps_it(small_pipe, tmp_path, monkeypatch):
    import app.llm as llm

    gguf = small_pipe.settings.data_dir / "models" / "other.gguf"  # the web app loads models from here only
    gguf.parent.mkdir(parents=True, exist_ok=True)
    gguf.write_bytes(b"GGUF")
    loads = []

    def fake_load(spec, **opts):
        loads.append(spec)
        return StubModel()

    monkeypatch.setattr(llm, "load_model", fake_load)
    h = ui.make_handlers(small_pipe)
    msg, header = h["apply_settings"](str(gguf), 3, 0.0)
    assert "loaded" in msg and loads == [str(gguf)]
    model = small_pipe.model
    h["apply_settings"](str(gguf), 5, 0.0)
    _run_chat(small_pipe)
    assert loads == [str(gguf)] and small_pipe.model is model
    assert small_pipe.settings.model == str(gguf) and "other.gguf" in header


@pytest.mark.parametrize("name", ["../../evil.txt", "..\\..\\evil.md", "/etc/cron.d/evil.txt", "....txt", ".hidden.md", "a b<c>.TXT"])
def test_upload_names_stay_in_the_article_folder(tmp_path, name):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    src = tmp_path / "upload.bin"
    src.write_text(ARTICLE, encoding="utf-8")
    dest = ui.store_upload(seeds, src, name, set(), set())
    assert dest.parent == seeds.resolve() and dest.is_file()
    assert re.fullmatch(r"[A-Za-z0-9_-]+(-\d+)?\.(txt|md)", dest.name)
    assert not (tmp_path / "evil.txt").exists()


def test_upload_refuses_bad_files(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    src = tmp_path / "f"
    src.write_text(ARTICLE, encoding="utf-8")
    with pytest.raises(InputError, match=r"only \.txt, \.md, \.html/\.htm and \.pdf"):
        ui.store_upload(seeds, src, "page.docx", set(), set())
    big = tmp_path / "big"
    big.write_bytes(b"word " * 500_000)
    with pytest.raises(InputError, match="too large"):
        ui.store_upload(seeds, big, "big.txt", set(), set())
    binary = tmp_path / "bin"
    binary.write_bytes(b"\x00\x01" * 100)
    with pytest.raises(InputError, match="binary"):
        ui.store_upload(seeds, binary, "x.txt", set(), set())
    first = ui.store_upload(seeds, src, "same.txt", set(), set())
    second = ui.store_upload(seeds, src, "same.txt", {"same"}, set())  # never overwrites
    assert first.name == "same.txt" and second.name == "same-2.txt"
    assert list(seeds.iterdir()) and all(p.parent == seeds for p in seeds.iterdir())


def test_upload_handler_indexes_the_new_article(small_pipe, tmp_path):
    up = tmp_path / "up"
    up.mkdir()
    f = up / "new article.md"
    f.write_text("# Export controls and DeepSeek\n\nThe export controls on chips did not stop DeepSeek from training a strong model cheaply.\n", encoding="utf-8")
    h = ui.make_handlers(small_pipe)
    msg, table, header, cleared = h["upload"]([str(f)], progress=lambda *a, **k: None)
    assert "Added" in msg and cleared is None
    assert len(small_pipe.articles) == 3 and (small_pipe.settings.seeds / "new-article.md").is_file()
    assert "Export controls and DeepSeek" in table and "3 articles" in header
    assert "new-article" in small_pipe.index.status()["articles"]


def test_untrusted_text_is_escaped_everywhere(small_pipe):
    outs = _run_chat(small_pipe, "What do the articles say about the Chinese government and DeepSeek's success?")
    _, messages, cards, sources, *_ = outs[-1]
    corpus = ui.corpus_view(small_pipe)
    everything = [cards, sources, corpus, messages[-1]["content"], ui.header_html(small_pipe)] + [o[2] for o in outs if isinstance(o[2], str)]
    for html_out in everything:
        assert "<script" not in html_out and "<img" not in html_out and "<b>bold" not in html_out
        assert "{{" not in html_out and "${" not in html_out  # Gradio's HTML templates see no template syntax
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in cards + corpus  # shown, as text
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


def test_two_concurrent_users_both_get_answers(stub_pipe, monkeypatch):
    from gradio_client import Client

    active, peak = [0], [0]
    lock = threading.Lock()
    real = ui.ask_stream

    def counted(*a, **kw):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            yield from real(*a, **kw)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(ui, "ask_stream", counted)
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
            chat = out[1]
            assert chat[-1]["role"] == "assistant" and re.search(r"\[\d+\]", str(chat[-1]["content"]))
        assert peak[0] == 1  # the model-bound queue ran them one at a time
    finally:
        demo.close()


def test_compare_handler_streams_rows_and_offers_downloads(stub_pipe):
    from app.ui.compare import make_compare_handler

    run = make_compare_handler(stub_pipe)
    outs = list(run("export controls", "", 3, 0.0, []))
    assert any("judging…" in o[1] for o in outs[:-1])  # rows arrive one by one
    claim, matrix, contrast, chart, dl_json, dl_csv, dl_md, session = outs[-1]
    assert matrix.count("<tr>") == len(stub_pipe.articles) + 1 and "pv-badge" in matrix
    assert Path(chart["value"]).read_bytes()[:4] == b"\x89PNG"
    assert Path(dl_csv["value"]).read_text(encoding="utf-8").startswith("topic,claim,article_id")
    assert Path(dl_md["value"]).read_text(encoding="utf-8").startswith("## export controls")
    outs = list(run("chips", "DeepSeek used fewer chips.", 3, 0.0, session))
    session2 = outs[-1][-1]
    assert [r.topic for r in session2] == ["export controls", "chips"]  # the heatmap and downloads cover both
    assert session2[-1].claim_source == "user"
