"""The web app in a real headless Chromium (Debian's `chromium`, driven by Playwright).

Starts the app (stub model, temporary data dir, a copy of the seeds) on a free loopback
port, asks a question and sees the streamed, cited answer with article cards and sources,
runs a comparison, and uploads an article full of markup to check that nothing executes.
Screenshots go to test-artifacts/ (git-ignored).

Without Chromium or Playwright the tests skip, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import os
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
    # Multi-turn: a follow-up is answered as a second turn.
    page.fill("#pv-question textarea", "And what about its founder?")
    page.click("#pv-send")
    page.wait_for_function("document.querySelectorAll('#pv-chat a.cite').length >= 2 && !document.querySelector('#pv-cards .pv-typing')")
    page.wait_for_function("document.querySelectorAll('#pv-chat .message-row, #pv-chat .message-wrap .message').length >= 4")
    assert not page.errors  # type: ignore[attr-defined]


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
    assert page.locator("#pv-matrix .pv-badge:not(.pv-maybe)").count() == 5  # one stance per row
    unsure = page.locator("#pv-matrix .pv-maybe")  # rows with weak evidence say so, as the chat's cards do
    assert all(t == "may not address it" for t in unsure.all_inner_texts()) and unsure.count() < 5
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
    assert "The Harbour Times" in cards and "2025-02-03" in cards


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
