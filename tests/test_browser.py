"""The web app in a real headless Chromium (Debian's `chromium`, driven by Playwright).

Starts the app (stub model, temporary data dir, a copy of the seeds) on a free loopback
port, asks a question and sees the streamed, cited answer with article cards and sources,
runs a comparison, and uploads an article full of markup to check that nothing executes.
What a newcomer sees: follow-ups say so (and can be asked on their own), a new question is
answered as in a fresh chat, no internal terms, full titles, hedges that match the quotes;
and, on a second app with 50 articles made from the seeds, the corpus tab's search, order
and pages. Screenshots go to test-artifacts/ (git-ignored), at 5 and at 50 articles.

Without Chromium or Playwright the tests skip, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
from pathlib import Path

import pytest

from app.pipeline import build_pipeline
from app.settings import Settings

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM = Path(os.environ.get("PERSPECTIVES_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
TIMEOUT_MS = 60_000


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install playwright (its browser download is not needed)"
    return None


def _require_browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser test required under CI: {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_browser()
    from app.ui.app import launch

    root = tmp_path_factory.mktemp("browser")
    seeds = root / "seeds"
    shutil.copytree(PROJECT / "seeds", seeds)
    for f in seeds.iterdir():
        f.chmod(0o644)
    # web_urls="any": the URL box may fetch from the test's news site on 127.0.0.1. stub_delay: the
    # evidence-first stub answer takes ~0.2 s, too quick for a second user to ever see the queue.
    # web_sessions=1: one answer at a time, so the second user queues.
    pipe = build_pipeline(Settings(data_dir=root / "data", seeds=seeds, model="stub", web_urls="any", stub_delay=0.4, web_sessions=1))
    demo = launch(pipe, host="127.0.0.1", port=_free_port(), block=False, quiet=True)
    yield demo.local_url
    demo.close()


OUTLETS = ["The Harbour Times", "NRC", "Le Monde diplomatique", "South China Morning Post", "The Eastern Ledger", ""]
AUTHORS = ["Marta Kowalski", "Lena Hofstra", "Yu Wei", "Sam Okafor", "", "Ines Duarte"]
ANGLES = ["what it means for Nvidia", "the view from Hangzhou", "lessons for European universities",
          "a long read on talent, state money, export controls and the question of who deserves the credit for China's newest AI company",
          "why the markets panicked", "five questions answered"]
# Words of the pipeline, not of the reader: none may show in the default web app.
INTERNAL = ("support check", "gold rows", "Q4_1", "Q8_0", ".gguf", "accuracy", "chars ", "addressing article", "not judged",
            "see the evidence", "failing the", "calibration")


def many_articles(dest: Path, n: int) -> Path:
    """`n` articles made from the seeds (a paragraph left out in turn, so each text differs), with
    titles up to 200 characters, outlets, authors and dates; every ninth has no date."""
    from app.corpus.articles import load_corpus

    dest.mkdir(parents=True)
    seeds = load_corpus(PROJECT / "seeds")
    for i in range(n):
        a = seeds[i % len(seeds)]
        paras = [p for p in a.text.split("\n") if p.strip()]
        body = "\n\n".join(p for j, p in enumerate(paras) if j != (i // len(seeds)) % len(paras))
        fields = {"title": f"{a.title.rstrip('…')} — {ANGLES[i % len(ANGLES)]} ({i + 1})", "outlet": OUTLETS[i % len(OUTLETS)],
                  "author": AUTHORS[i % len(AUTHORS)], "date": "" if i % 9 == 8 else (dt.date(2025, 1, 20) + dt.timedelta(days=5 * i)).isoformat()}
        head = "".join(f"{k}: {v!r}\n" for k, v in fields.items() if v)
        (dest / f"{i:03d}_{a.id}.md").write_text(f"---\n{head}---\n\n{body}\n", encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def server50(tmp_path_factory):
    """The app over 50 articles (about 35 s to index on 2 cores)."""
    _require_browser()
    from app.ui.app import launch

    root = tmp_path_factory.mktemp("browser50")
    pipe = build_pipeline(Settings(data_dir=root / "data", seeds=many_articles(root / "seeds", 50), model="stub"))
    demo = launch(pipe, host="127.0.0.1", port=_free_port(), block=False, quiet=True)
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                                   viewport={"width": 1280, "height": 900})
        pg = ctx.pages[0] if ctx.pages else ctx.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.goto(server)
        pg.wait_for_selector("#pv-question textarea")
        pg.errors = errors  # type: ignore[attr-defined]
        yield pg
        ctx.close()


def _shot(pg, name: str):
    pg.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_chat_streams_a_cited_answer_with_cards_and_sources(page):
    page.fill("#pv-question textarea", "Did the Chinese government deserve credit for DeepSeek's success?")
    page.click("#pv-send")
    # Streaming: the cards fill in before the answer is complete.
    page.wait_for_selector("#pv-cards .pv-card")
    page.wait_for_selector("#pv-cards .pv-badge")  # final cards carry the badges
    page.wait_for_selector("#pv-sources .pv-src mark")
    answer = page.locator("#pv-chat .message.bot, #pv-chat [data-testid='bot']").last
    text = answer.inner_text()
    assert "[" in text and "]" in text, text
    cards = page.locator("#pv-cards .pv-card")
    assert cards.count() == 5
    first_cite = page.locator("#pv-chat a.cite").first
    n = first_cite.inner_text().strip("[]")
    assert page.locator(f"#pv-sources #src-{n}").count() == 1  # every [n] in the answer is a listed source
    assert "Waiting for the model" not in page.locator("#pv-chat").inner_text()  # the placeholder was replaced
    _shot(page, "chat.png")
    # A follow-up says which question it was read with, under its answer, beside "Ask on its own".
    _ask(page, "And what about its founder?")
    last = _last_answer(page)
    assert "Follow-up to: “Did the Chinese government deserve credit for DeepSeek's success?”" in last
    alone = page.locator("#pv-chat button.option", has_text="Ask on its own")
    assert alone.count() == 1
    page.screenshot(path=str(ARTIFACTS / "chat-followup.png"))
    # One click asks it again as in a fresh chat.
    before = _answers(page)
    alone.click()
    page.wait_for_function(f"document.querySelectorAll('#pv-chat .pv-foot').length > {before}")
    assert "Follow-up to" not in _last_answer(page)
    assert page.locator("#pv-chat button.option", has_text="Ask on its own").count() == 0  # its answer is no follow-up
    page.screenshot(path=str(ARTIFACTS / "chat-alone.png"))
    assert not page.errors  # type: ignore[attr-defined]


def _new_chat(pg) -> None:
    pg.get_by_role("button", name="New chat").click()
    pg.wait_for_function("!document.querySelector('#pv-chat .pv-foot')")


def _answers(pg) -> int:
    """Finished answers in the chat (each ends with its model · time · sources line)."""
    return pg.locator("#pv-chat .pv-foot").count()


def _ask(pg, question: str) -> None:
    before = _answers(pg)
    pg.fill("#pv-question textarea", question)
    pg.click("#pv-send")
    pg.wait_for_function(f"document.querySelectorAll('#pv-chat .pv-foot').length > {before} && !document.querySelector('#pv-cards .pv-typing')")


def _last_answer(pg) -> str:
    return pg.locator("#pv-chat .message.bot, #pv-chat [data-testid='bot']").last.inner_text()


def _cards(pg) -> list[str]:
    return pg.locator("#pv-cards .pv-card").all_inner_texts()


def test_a_new_question_is_answered_as_in_a_fresh_chat(page):
    """"Where is DeepSeek based?" after the government question carried the government quotes."""
    _new_chat(page)
    _ask(page, "Did the Chinese government deserve credit for DeepSeek's success?")
    _ask(page, "Where is DeepSeek based?")
    in_chat, cards_in_chat = _last_answer(page), _cards(page)
    assert "Follow-up to" not in in_chat and "Hangzhou" in in_chat
    _new_chat(page)
    _ask(page, "Where is DeepSeek based?")
    strip = lambda text: re.sub(r"\d+\.\d s", "", text)  # noqa: E731 - the answer's time differs
    assert strip(_last_answer(page)) == strip(in_chat) and _cards(page) == cards_in_chat


def test_a_quote_that_answers_is_not_hedged(page):
    """NRC's card quotes "The company is based in Hangzhou": it answers, never "may not address it"."""
    _new_chat(page)
    _ask(page, "Where is DeepSeek based?")
    nrc = page.locator("#pv-cards .pv-card", has_text="The company is based in Hangzhou")
    assert nrc.count() == 1
    assert nrc.locator(".pv-badge").inner_text() == "addresses it"
    assert "may not address it" not in _last_answer(page).split("Hangzhou")[0]
    nrc.screenshot(path=str(ARTIFACTS / "card-nrc-based.png"))


def test_the_default_ui_speaks_the_readers_words(page):
    _new_chat(page)
    _ask(page, "Did the Chinese government deserve credit for DeepSeek's success?")
    assert "model: stub (test model)" in page.locator("#pv-header").inner_text()
    text = page.locator("body").inner_text()
    assert [t for t in INTERNAL if t in text] == []
    # Full titles in the answer, never a title cut to «…» where the chat has room; the label on hover too.
    refs = page.locator("#pv-chat .pv-title-ref")
    assert refs.count() >= 2
    for ref in refs.all():
        assert ref.inner_text().strip("«»") == ref.get_attribute("title")
    assert "What the success of Deepseek tells us about China's ability to cherish talent" in _last_answer(page)


def test_a_second_user_sees_the_queue_and_then_an_answer(page, server):
    other = page.context.new_page()
    other.set_default_timeout(TIMEOUT_MS)
    other.goto(server)
    other.wait_for_selector("#pv-question textarea")
    page.fill("#pv-question textarea", "Is DeepSeek an isolated case or part of a wider trend?")
    other.fill("#pv-question textarea", "What does DeepSeek's success say about China's education system?")
    before = page.locator("#pv-chat a.cite").count()
    page.click("#pv-send")
    other.click("#pv-send")
    other.wait_for_selector("#pv-chat :text('Waiting for the model')", timeout=15_000)  # told it is waiting...
    other.wait_for_function("/queue: \\d+\\/\\d+/.test(document.body.innerText)", timeout=15_000)  # ...and where it is in the queue
    other.screenshot(path=str(ARTIFACTS / "queued.png"))
    for pg, n in ((page, before), (other, 0)):
        pg.wait_for_function(f"document.querySelectorAll('#pv-chat a.cite').length > {n} && !document.querySelector('#pv-cards .pv-typing')")
        pg.wait_for_selector("#pv-sources .pv-src mark")
    other.close()


def test_compare_shows_the_stance_matrix(page):
    page.get_by_role("tab", name="Compare").click()
    topic = page.locator("#pv-topic input")
    topic.click()
    topic.fill("US export controls on chips")
    topic.press("Enter")
    page.click("#pv-compare-btn")
    page.wait_for_selector("#pv-matrix table.pv-matrix tbody tr")
    page.wait_for_selector("#pv-contrast .pv-contrast")
    rows = page.locator("#pv-matrix tbody tr")
    assert rows.count() == 5
    # No stance labels from the stub: each row says whether it discusses the topic, how strong
    # its evidence is next to the strongest, and how many key sentences it has.
    badges = page.locator("#pv-matrix .pv-badge").all_inner_texts()
    assert len(badges) == 5 and set(badges) <= {"discusses it", "may not address it", "does not discuss it"} and "discusses it" in badges
    assert page.locator("#pv-matrix .pv-bar").count() == badges.count("discusses it") + badges.count("may not address it")
    assert "key sentence" in page.locator("#pv-matrix").inner_text()
    matrix = page.locator("#pv-matrix").inner_text()
    assert "not judged" not in matrix and "see the evidence" not in matrix
    assert "too small to judge them" in page.locator("#pv-contrast").inner_text()
    text = page.locator("body").inner_text()
    assert [t for t in INTERNAL if t in text] == []
    page.wait_for_selector("#pv-chart img", state="attached")
    page.wait_for_timeout(500)
    _shot(page, "compare.png")


def test_uploaded_markup_is_shown_as_text(page, tmp_path):
    evil = tmp_path / "evil <img src=x onerror=alert(1)>.md"
    evil.write_text(
        "# <img src=x onerror=\"window.__pwned=1\"> DeepSeek markup test\n\n"
        "DeepSeek <script>window.__pwned=2</script> is discussed here with <b>bold</b> claims about export controls. "
        "{{7*7}} ${window.__pwned=3} and more words about DeepSeek and chips and the Chinese state.\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="Corpus").click()
    page.set_input_files("#pv-files input[type=file]", str(evil))
    page.click("#pv-add-btn")
    page.wait_for_selector("#pv-corpus-msg :text('Added')")
    page.wait_for_function("document.querySelectorAll('#pv-corpus tbody tr').length === 6")
    corpus = page.locator("#pv-corpus").inner_text()
    assert "<img src=x onerror=" in corpus  # the title, shown literally
    _shot(page, "corpus.png")
    page.get_by_role("tab", name="Chat").click()
    page.fill("#pv-question textarea", "What does the markup test say about export controls?")
    page.click("#pv-send")
    page.wait_for_function("document.querySelectorAll('#pv-cards .pv-card').length === 6 && document.querySelector('#pv-cards .pv-badge')")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#pv-cards img, #pv-sources img, #pv-sources script, #pv-cards b, #pv-corpus img").count() == 0
    assert "<img src=x" in page.locator("#pv-cards").inner_text()  # the title, as text


def test_uploaded_web_page_and_url_become_articles(page):
    """A saved .html page and a URL (from a news site on 127.0.0.1) go through the same ingest as `perspectives add`."""
    from news_site import NewsSite

    page.get_by_role("tab", name="Corpus").click()
    rows = page.locator("#pv-corpus tbody tr").count()
    page.set_input_files("#pv-files input[type=file]", str(PROJECT / "tests" / "pages" / "harbour-article.html"))
    page.click("#pv-add-btn")
    page.wait_for_function(f"document.querySelectorAll('#pv-corpus tbody tr').length === {rows + 1}")
    assert "Chip-machine makers count the cost of DeepSeek" in page.locator("#pv-corpus").inner_text()  # its title, not a first line
    with NewsSite() as site:
        page.locator("#pv-url textarea, #pv-url input").first.fill(site.url("/reports/export-controls.pdf"))
        page.click("#pv-url-btn")
        page.wait_for_selector("#pv-corpus-msg :text('Lena Hofstra')")  # outlet/author/date in the message
    page.wait_for_function(f"document.querySelectorAll('#pv-corpus tbody tr').length === {rows + 2}")
    _shot(page, "corpus-added.png")
    page.get_by_role("tab", name="Chat").click()
    page.fill("#pv-question textarea", "What do chip-machine makers expect after DeepSeek?")
    page.click("#pv-send")
    page.wait_for_function(f"document.querySelectorAll('#pv-cards .pv-card').length === {rows + 2} && document.querySelector('#pv-cards .pv-badge')")
    assert "Chip-machine makers" in page.locator("#pv-cards").inner_text()
    _shot(page, "chat-added.png")
    assert not page.errors  # type: ignore[attr-defined]


def test_cards_show_the_added_pages_outlet_and_date(page):
    cards = page.locator("#pv-cards").inner_text()  # the cards of the previous test's question
    assert "The Harbour Times" in cards and "3 Feb 2025" in cards and "2025-02-03" not in cards  # a date for people


def test_invalid_settings_show_a_message(page):
    page.get_by_role("tab", name="Settings").click()
    box = page.locator("#pv-model textarea, #pv-model input").first
    box.fill("/etc/passwd")  # the web app refuses model paths outside <data dir>/models
    page.click("#pv-apply")
    page.wait_for_selector("#pv-settings-msg :text('only loads models from')")
    _shot(page, "settings.png")
    box.fill("stub")
    page.click("#pv-apply")
    page.wait_for_selector("#pv-settings-msg :text('Settings OK')")


@pytest.fixture(scope="module")
def page50(page, server50):
    pg = page.context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(server50)
    pg.wait_for_selector("#pv-question textarea")
    yield pg
    pg.close()


def test_corpus_of_50_searches_sorts_and_pages(page50):
    pg = page50
    pg.get_by_role("tab", name="Corpus").click()
    count = pg.locator("#pv-corpus-count")
    assert count.inner_text() == "1–25 of 50 articles · page 1 of 2"
    rows = pg.locator("#pv-corpus tbody tr")
    assert rows.count() == 25
    head = [t.strip().lower() for t in pg.locator("#pv-corpus thead th").all_inner_texts()]
    assert head[1:5] == ["title", "outlet", "author", "date"]
    first = rows.first.inner_text()
    assert "22 Sep 2025" in first and "(50)" in first  # newest first, the date for people
    assert not re.search(r"\d{4}-\d\d-\d\d", pg.locator("#pv-corpus").inner_text())  # no raw ISO dates
    longest = pg.locator("#pv-corpus td.pv-title", has_text="a long read on talent").first
    assert longest.inner_text().endswith("newest AI company (46)")  # the full title, wrapped, not cut
    assert pg.evaluate("el => el.scrollWidth <= el.clientWidth", longest.element_handle())
    _shot(pg, "corpus-50.png")
    pg.click("#pv-corpus-next")
    pg.wait_for_function("document.querySelector('#pv-corpus-count').innerText.includes('page 2 of 2')")
    assert count.inner_text() == "26–50 of 50 articles · page 2 of 2" and rows.count() == 25
    assert "no date" in pg.locator("#pv-corpus").inner_text()  # undated ones last
    pg.locator("#pv-corpus-search textarea, #pv-corpus-search input").first.fill("harbour")
    pg.wait_for_function("document.querySelector('#pv-corpus-count').innerText.includes('matching')")
    assert count.inner_text() == "9 articles matching “harbour” (of 50)"
    assert all("The Harbour Times" in r for r in rows.all_inner_texts())
    _shot(pg, "corpus-50-search.png")
    sort = pg.locator("#pv-corpus-sort input")
    sort.click()
    pg.get_by_role("option", name="Title A–Z").click()
    pg.wait_for_timeout(500)
    titles = pg.locator("#pv-corpus td.pv-title").all_inner_texts()
    assert titles == sorted(titles, key=str.lower) and len(titles) == 9


def _compare(pg, text: str) -> None:
    """Compare `text` in the Compare tab and wait for its contrast line."""
    pg.get_by_role("tab", name="Compare").click()
    topic = pg.locator("#pv-topic input")
    topic.click()
    topic.fill(text)
    topic.press("Enter")
    pg.click("#pv-compare-btn")
    pg.wait_for_selector("#pv-contrast .pv-contrast")


def test_chat_and_compare_at_50_articles(page50):
    pg = page50
    pg.get_by_role("tab", name="Chat").click()
    examples = pg.locator("#pv-examples").inner_text()
    assert "What do the articles say about" in examples  # drawn from these articles' topics
    _ask(pg, "Did the Chinese government deserve credit for DeepSeek's success?")
    _ask(pg, "Where is DeepSeek based?")
    assert "Follow-up to" not in _last_answer(pg)
    pg.screenshot(path=str(ARTIFACTS / "chat-50.png"))
    _compare(pg, "US export controls on chips")
    pg.wait_for_selector("#pv-chart img", state="attached")
    rows = pg.locator("#pv-matrix tbody tr").count()
    assert 0 < rows <= 16  # the topic's candidates, ranked; the rest are counted in the contrast
    text = pg.locator("body").inner_text()
    assert [t for t in INTERNAL if t in text] == []
    pg.wait_for_timeout(500)
    pg.screenshot(path=str(ARTIFACTS / "compare-50.png"))


@pytest.fixture(scope="module")
def page200(page, tmp_path_factory):
    """The app over 200 articles made from the seeds (about 2 minutes to index on 2 cores)."""
    from app.ui.app import launch

    root = tmp_path_factory.mktemp("browser200")
    pipe = build_pipeline(Settings(data_dir=root / "data", seeds=many_articles(root / "seeds", 200), model="stub"))
    demo = launch(pipe, host="127.0.0.1", port=_free_port(), block=False, quiet=True)
    pg = page.context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(demo.local_url)
    pg.wait_for_selector("#pv-question textarea")
    yield pg
    pg.close()
    demo.close()


def test_at_200_articles_the_answer_stays_short_show_more_opens_the_rest_and_compare_ranks(page200):
    pg = page200
    pg.get_by_role("tab", name="Chat").click()
    _ask(pg, "Did the Chinese government deserve credit for DeepSeek's success?")
    answer = _last_answer(pg)
    assert re.search(r"\[\d+\]", answer) and len(answer) < 2500  # cited, and short whatever the corpus
    assert "more (" in answer or "not read closely" in answer or "do not appear to discuss it" in answer
    cards = pg.locator("#pv-cards .pv-card")
    more = pg.locator("#pv-cards details.pv-more")
    first = cards.count() - more.locator(".pv-card").count()
    assert 0 < first <= 6
    assert more.count() == 1 and not more.locator(".pv-card").first.is_visible()
    more.locator("summary").click()
    assert more.locator(".pv-card").first.is_visible() and more.locator(".pv-card").count() > 0
    _shot(pg, "chat-200.png")
    _compare(pg, "US export controls on chips")
    rows = pg.locator("#pv-matrix tbody tr")
    assert 0 < rows.count() <= 16
    assert "not read closely" in pg.locator("#pv-contrast").inner_text() or "not found discussing it" in pg.locator("#pv-contrast").inner_text()
    _shot(pg, "compare-200.png")
