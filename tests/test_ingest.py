"""Articles as people have them: URLs, saved pages and PDFs in, readable `.md` files out.

Everything is fetched from a news site that the test starts on 127.0.0.1 (tests/news_site.py,
pages in tests/pages/); PDFs are generated here with fpdf2 and encrypted with pypdf.
"""

from __future__ import annotations

import io
import json
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli.main import cli
from app.corpus import frontmatter, ingest
from app.corpus.articles import Source, load_article, load_corpus
from app.errors import InputError
from news_site import ARTICLE, PDF_PARAGRAPHS, PDF_TITLE, NewsSite, make_pdf

PAGES = Path(__file__).resolve().parent / "pages"
TITLE = "Chip-machine makers count the cost of DeepSeek"
CANONICAL = "https://harbourtimes.example/business/2025/02/03/chip-machine-makers-deepseek"
BOILERPLATE = [
    "We use cookies", "Accept all", "Manage preferences",  # cookie banner
    "Home", "Subscribe for 1 euro", "Log in",  # navigation
    "Advertisement", "Bright Bank", "flights to Lisbon",  # ads
    "Get the Tech Briefing", "Sign up", "Share on",  # newsletter box, share buttons
    "Related articles", "app store charts", "600 billion", "Sputnik",  # related-article teasers
    "42 comments", "Typical hype cycle", "pension fund", "Jevons",  # comment section
    "All rights reserved", "Privacy policy", "Contact the newsroom",  # footer
]


@pytest.fixture(scope="module")
def site():
    with NewsSite() as s:
        yield s


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "articles"
    d.mkdir()
    return d


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder, dot-files (temporary parts) included."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- a real news page ----------------------------------------------------------------------


def test_article_from_url_has_no_boilerplate_and_right_metadata(site, folder):
    result = ingest.add(site.url(ARTICLE), folder)
    assert result.added and result.path.parent == folder and result.path.suffix == ".md"
    assert "The Harbour Times" in result.message and "2025-02-03" in result.message
    art = load_article(result.path)
    assert art.title == TITLE
    assert art.source == Source(outlet="The Harbour Times", author="Marta Kowalski", date="2025-02-03", url=CANONICAL)
    assert art.text.startswith("When the Chinese start-up DeepSeek showed last week")
    assert art.text.endswith("DeepSeek does not change the physics.\"")
    assert art.text.count("\n\n") == 5  # the six paragraphs, nothing else
    for junk in BOILERPLATE:
        assert junk not in art.text, junk
    assert TITLE not in art.text  # the headline is the title, not repeated in the body


def test_saved_md_is_readable_and_round_trips(site, folder):
    path = ingest.add(site.url(ARTICLE), folder).path
    text = path.read_text(encoding="utf-8")
    fields, body = frontmatter.split(text)
    assert text.startswith("---\ntitle: Chip-machine makers count the cost of DeepSeek\n")
    assert fields["source"] == site.url(ARTICLE) and fields["url"] == CANONICAL
    assert fields["outlet"] == "The Harbour Times" and fields["author"] == "Marta Kowalski" and fields["date"] == "2025-02-03"
    assert fields["added_at"].endswith("Z")
    assert body.lstrip().startswith(f"# {TITLE}\n\n")
    art = load_article(path)
    assert body.strip().endswith(art.text)  # the body a person reads is the text that is indexed and quoted
    assert [a.id for a in load_corpus(folder)] == [path.stem]
    assert path.name == f"chip-machine-makers-count-the-cost-of-deepseek-{ingest.content_key(art.text)[:8]}.md"


def test_request_is_plain_get_with_user_agent_and_no_cookies(site, folder):
    site.requests.clear()
    ingest.add(site.url("/old-link"), folder)  # a redirect to the article is followed
    paths = [p for p, _ in site.requests]
    assert paths == ["/old-link", ARTICLE]
    for _, headers in site.requests:
        assert headers["User-Agent"] == ingest.USER_AGENT
        assert "Cookie" not in headers


def test_second_add_is_a_no_op_with_a_message(site, folder):
    first = ingest.add(site.url(ARTICLE), folder)
    before = snapshot(folder)
    again = ingest.add(site.url(ARTICLE), folder)
    assert not again.added and again.message == f"Already in the corpus as {first.path.name} (same text); nothing added."
    saved = ingest.add(str(PAGES / "harbour-article.html"), folder)  # the same article, saved from a browser
    assert not saved.added and "Already in the corpus" in saved.message
    assert snapshot(folder) == before


def test_saved_page_file_keeps_canonical_url_and_file_name(folder):
    art = load_article(ingest.add(str(PAGES / "harbour-article.html"), folder).path)
    assert art.source.url == CANONICAL and art.source.outlet == "The Harbour Times"
    assert frontmatter.split(Path(art.path).read_text())[0]["source"] == "harbour-article.html"


def test_another_language_is_added_with_a_notice(site, folder):
    result = ingest.add(site.url("/hafenblatt/deepseek-europa"), folder)
    assert result.added
    assert len(result.notices) == 1 and "German" in result.notices[0] and "English" in result.notices[0]
    assert load_article(result.path).source.outlet == "Hafenblatt"
    assert ingest.add(site.url(ARTICLE), folder).notices == []  # English: no notice


# -- PDFs --------------------------------------------------------------------------------------


def test_pdf_from_url_title_author_date_and_paragraphs(site, folder):
    art = load_article(ingest.add(site.url("/reports/export-controls.pdf"), folder).path)
    assert art.title == PDF_TITLE
    assert (art.source.author, art.source.date, art.source.outlet) == ("Lena Hofstra", "2025-02-10", "unknown")
    assert art.text.split("\n\n") == PDF_PARAGRAPHS  # layout lines joined back into the paragraphs
    assert "By Lena Hofstra" not in art.text and "10 February 2025" not in art.text


def test_pdf_without_metadata_uses_first_lines_then_document_date(folder, tmp_path):
    pdf = tmp_path / "plain.pdf"
    pdf.write_bytes(make_pdf(metadata=False, byline=False))
    art = load_article(ingest.add(str(pdf), folder).path)
    assert art.title == PDF_TITLE  # the first line
    assert art.source.author == "unknown"  # not stated anywhere: not guessed
    assert art.source.date == "2025-02-11"  # the document's creation date (no date line)


def _encrypted(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _scanned() -> bytes:
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    img = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(img)
    for i in range(30):
        draw.text((20, 20 + 25 * i), f"Scanned newspaper line {i} about DeepSeek and export controls", fill=0)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(img, x=10, y=10, w=180)
    return bytes(pdf.output())


def test_pdf_with_only_an_owner_password_opens(folder, tmp_path):
    pdf = tmp_path / "restricted.pdf"
    pdf.write_bytes(_encrypted(user_password=""))
    assert load_article(ingest.add(str(pdf), folder).path).title == PDF_TITLE


@pytest.mark.parametrize(
    "name, make, message",
    [
        ("locked.pdf", lambda: _encrypted("reader-secret"), "locked.pdf: the PDF is encrypted (password-protected)"),
        ("scan.pdf", _scanned, "scan.pdf: the PDF has no text layer (a scan?). Run OCR"),
        ("broken.pdf", lambda: b"%PDF-1.4\n" + b"not really a pdf " * 50, "broken.pdf: not a readable PDF"),
        ("notes.docx", lambda: b"PK\x03\x04 word file", "notes.docx: not a web page (.html), PDF or text file"),
    ],
)
def test_bad_pdf_and_file_are_refused_and_nothing_written(folder, tmp_path, name, make, message):
    path = tmp_path / name
    path.write_bytes(make())
    (folder / "kept.txt").write_text("An article that was here before and must stay as it is.", encoding="utf-8")
    before = snapshot(folder)
    with pytest.raises(InputError) as err:
        ingest.add(str(path), folder)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert snapshot(folder) == before


def test_pdf_over_the_size_limit_is_refused_unread(folder, tmp_path):
    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:
        fh.truncate(ingest.MAX_SOURCE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(InputError, match=r"big\.pdf: 20\.0 MB is over the 20 MB limit"):
        ingest.add(str(big), folder)
    assert snapshot(folder) == {}


# -- pages that are not articles, and fetches that go wrong -------------------------------------


@pytest.mark.parametrize(
    "path, kwargs, message",
    [
        ("/tech/", {}, "this looks like a list of articles (a front or section page"),
        ("/premium/inside-deepseek-hiring", {}, "the article is behind a login or paywall"),
        ("/consent-article", {}, "the site shows a cookie-consent wall instead of the article, and Perspectives does not accept cookies"),
        ("/app/article/1234", {}, "the page needs JavaScript to show its text"),
        ("/loop-a", {}, "more than 5 redirects (a redirect loop?)"),
        ("/slow", {"timeout": 1}, "no answer within 1 s (timed out)"),
        ("/trickle", {"timeout": 1.5}, "no answer within 1.5 s (timed out)"),
        ("/photo.png", {}, "the server sends image/png, not a web page (HTML) or a PDF"),
        ("/endless", {"max_bytes": 1_000_000}, "more than the 1 MB limit for one article; stopped downloading"),
        ("/huge", {}, "30.0 MB is over the 20 MB limit for one article"),
        ("/missing", {}, "the site answered HTTP 404"),
    ],
)
def test_bad_pages_get_one_line_and_leave_the_folder_unchanged(site, folder, path, kwargs, message):
    (folder / "kept.txt").write_text("An article that was here before and must stay as it is.", encoding="utf-8")
    before = snapshot(folder)
    site.requests.clear()
    with pytest.raises(InputError) as err:
        ingest.add(site.url(path), folder, **kwargs)
    assert str(err.value).startswith(f"{site.url(path)}: {message}")
    assert "\n" not in str(err.value)
    assert snapshot(folder) == before
    assert all("Cookie" not in headers for _, headers in site.requests)  # the cookie wall's cookie is never sent back


def test_unreachable_and_odd_addresses(folder):
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match=rf"http://127.0.0.1:{port}/x: could not fetch it \(ConnectError"):
        ingest.add(f"http://127.0.0.1:{port}/x", folder)
    with pytest.raises(InputError, match="only http:// and https:// addresses"):
        ingest.add("ftp://127.0.0.1/article.html", folder)
    with pytest.raises(InputError, match="no such file"):
        ingest.add("no-such-article.html", folder)


# -- front matter --------------------------------------------------------------------------


def test_front_matter_worked_example(tmp_path):
    p = tmp_path / "hand-written.md"
    p.write_text(
        "---\ntitle: A question in the title?\noutlet: Example Daily  # a comment\nauthor: [Ann Lee, Bo Chen]\n"
        "date: 2025-02-03\nsource: https://example.org/a\n---\n\n# A question in the title?\n\n"
        "## A section heading\n\nBody text with enough words to count as an article.\n",
        encoding="utf-8",
    )
    art = load_article(p)
    assert art.title == "A question in the title?"
    assert art.source == Source(outlet="Example Daily", author="Ann Lee, Bo Chen", date="2025-02-03", url="https://example.org/a")
    assert art.text == "A section heading\n\nBody text with enough words to count as an article."


def test_markdown_rule_is_not_front_matter_and_bad_yaml_is_named(tmp_path):
    p = tmp_path / "rule.md"
    p.write_text("---\nJust a horizontal rule above some text.\n---\nMore words in this little article here.\n", encoding="utf-8")
    assert "horizontal rule" in load_article(p).title + load_article(p).text and load_article(p).source == Source()
    bad = tmp_path / "bad.md"
    bad.write_text("---\noutlet: [unclosed\n---\nBody text with enough words to count.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.md: the front matter between the '---' lines is not valid YAML"):
        load_article(bad)


def test_render_then_split_round_trip():
    fields = {"title": 'Colons: "quotes" and #hash', "outlet": "Zeit Online", "date": "2025-02-03", "added_at": "2025-02-04T10:00:00Z"}
    header = frontmatter.render(fields)
    assert frontmatter.split(header + "body") == (fields, "body")


def test_seeds_carry_what_their_text_says():
    seeds = {a.id[:3]: a for a in load_corpus(Path(__file__).resolve().parent.parent / "seeds")}
    assert seeds["002"].source.outlet == "NRC"  # its image links point at nrc.nl
    for aid in ("000", "001", "003", "004"):
        assert seeds[aid].source == Source(), aid  # the text does not say: unknown, not guessed
    assert "Siyi Zhao contributed research." in seeds["000"].text  # the credit stays in the text
    assert "contributors: Siyi Zhao (research)" in Path(seeds["000"].path).read_text(encoding="utf-8")


def test_titles_that_do_not_look_like_headings_round_trip(folder, tmp_path):
    for title in ("Is DeepSeek a Sputnik moment?", "#MeToo and the chip industry, a column"):
        note = tmp_path / "note.md"
        body = f"First paragraph about {title[:5]} with enough words to count as an article.\n\nSecond paragraph."
        note.write_text(f"---\ntitle: '{title}'\n---\n{body}\n", encoding="utf-8")
        art = load_article(ingest.add(str(note), folder).path)
        assert (art.title, art.text) == (title, body)


def test_text_file_gets_a_header_too(folder, tmp_path):
    note = tmp_path / "my notes.txt"
    note.write_text("A column about chips\n\nThe author argues that chips matter less than people, in several sentences.\n", encoding="utf-8")
    art = load_article(ingest.add(str(note), folder).path)
    assert art.title == "A column about chips" and art.source == Source()
    assert frontmatter.split(Path(art.path).read_text())[0]["source"] == "my notes.txt"


# -- the command line ------------------------------------------------------------------------


def test_cli_add_messages_and_exit_codes(site, folder):
    runner = CliRunner()
    ok = runner.invoke(cli, ["add", "--seeds", str(folder), site.url(ARTICLE)])
    assert ok.exit_code == 0, ok.output
    assert f"Added “{TITLE}” (The Harbour Times, Marta Kowalski, 2025-02-03)" in ok.stdout
    again = runner.invoke(cli, ["add", "--seeds", str(folder), site.url(ARTICLE)])
    assert again.exit_code == 0 and "Already in the corpus" in again.stdout and "added to" not in again.stdout
    mixed = runner.invoke(cli, ["add", "--seeds", str(folder), site.url("/tech/"), site.url("/reports/export-controls.pdf")])
    assert mixed.exit_code == 2
    assert mixed.stderr.count("\n") == 1 and mixed.stderr.startswith(f"Error: {site.url('/tech/')}: this looks like a list")
    assert f"Added “{PDF_TITLE}”" in mixed.stdout  # the good one is still added
    assert len(list(folder.glob("*.md"))) == 2
    assert "perspectives add saved-page.html report.pdf notes.md" in runner.invoke(cli, ["add", "--help"]).stdout
    missing = runner.invoke(cli, ["add", "--seeds", str(folder / "nope"), str(PAGES / "harbour-article.html")])
    assert missing.exit_code == 5 and "Article folder not found" in missing.stderr


def test_index_status_lists_outlet_author_and_date(site, seeds_copy):
    runner = CliRunner()
    assert runner.invoke(cli, ["add", "--seeds", str(seeds_copy), site.url(ARTICLE)]).exit_code == 0
    assert runner.invoke(cli, ["index", "--seeds", str(seeds_copy), "--model", "stub"]).exit_code == 0
    res = runner.invoke(cli, ["index", "--status", "--seeds", str(seeds_copy)])
    assert res.exit_code == 0, res.output
    articles = json.loads(res.stdout)["articles"]
    added = next(v for k, v in articles.items() if k.startswith("chip-machine-makers"))
    assert added["source"] == {"outlet": "The Harbour Times", "author": "Marta Kowalski", "date": "2025-02-03", "url": CANONICAL}
    assert articles["002_a288e786907b7547"]["source"]["outlet"] == "NRC"


@pytest.fixture
def corpus_with_added(site, seeds_copy) -> Path:
    assert ingest.add(site.url(ARTICLE), seeds_copy).added
    return seeds_copy


def test_questions_never_touch_the_network(corpus_with_added, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access at question time: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    res = CliRunner().invoke(cli, ["ask", "What do chip-machine makers expect after DeepSeek?", "--json", "--model", "stub",
                                   "--seeds", str(corpus_with_added)])
    assert res.exit_code == 0, res.output
    ids = [p["article_id"] for p in json.loads(res.stdout)["perspectives"]]
    assert len(ids) == 6 and any(i.startswith("chip-machine-makers") for i in ids)


def test_ask_json_shows_the_added_articles_outlet_and_date(corpus_with_added):
    res = CliRunner().invoke(cli, ["ask", "What do chip-machine makers expect after DeepSeek?", "--json", "--model", "stub",
                                   "--seeds", str(corpus_with_added)])
    assert res.exit_code == 0, res.output
    perspectives = {p["article_id"]: p for p in json.loads(res.stdout)["perspectives"]}
    added = next(p for aid, p in perspectives.items() if aid.startswith("chip-machine-makers"))
    assert added["source"]["outlet"] == "The Harbour Times" and added["source"]["date"] == "2025-02-03"
    assert perspectives["002_a288e786907b7547"]["source"]["outlet"] == "NRC"


# -- the web app (handlers, no browser; the browser test uploads a page too) ---------------------


def test_web_app_upload_and_url_box_use_the_same_ingest(site, tmp_path, make_pipe):
    from app.ui import app as ui
    from app.ui.add_url import add_from_url
    from app.ui.corpus import CorpusEvents

    seeds = tmp_path / "web-seeds"
    seeds.mkdir()
    (seeds / "a_plain.md").write_text("# A plain article about DeepSeek\n\nDeepSeek is a Chinese AI company whose success surprised many.\n",
                                      encoding="utf-8")
    pipe = make_pipe(seeds, web_urls="any")  # the news site is on 127.0.0.1
    fns = {f.api_name: f for f in ui.build_app(pipe).fns.values()}
    assert fns["add_url"].concurrency_id == "model"  # it re-indexes: in the queue of everything that reads the index
    upload = CorpusEvents(pipe).add_articles
    out = upload([str(PAGES / "harbour-article.html")], progress=lambda *a, **k: None)
    assert "Added" in out["message"] and TITLE in out["table"] and "2 articles" in out["header"]
    out = upload([str(PAGES / "harbour-article.html")], progress=lambda *a, **k: None)
    assert "Already in the corpus" in out["message"] and len(pipe.articles) == 2
    msg = add_from_url(pipe, site.url("/reports/export-controls.pdf"))
    assert "Lena Hofstra" in msg and "3 articles" not in msg and len(pipe.articles) == 3
    assert any(a.source.author == "Lena Hofstra" for a in pipe.articles)
    before = snapshot(seeds)
    msg = add_from_url(pipe, site.url("/tech/"))
    assert msg.startswith("⚠") and "list of articles" in msg and snapshot(seeds) == before
    assert add_from_url(pipe, "  ").startswith("Paste the address")


def test_web_app_fetches_only_public_addresses_by_default(site, tmp_path, make_pipe):
    from app.errors import InputError as _InputError
    from app.settings import Settings
    from app.ui.add_url import add_from_url

    seeds = tmp_path / "web-seeds"
    seeds.mkdir()
    (seeds / "a_plain.md").write_text("# A plain article about DeepSeek\n\nDeepSeek is a Chinese AI company whose success surprised many.\n",
                                      encoding="utf-8")
    pipe = make_pipe(seeds)
    before = snapshot(seeds)
    site.requests.clear()
    for url in (site.url(ARTICLE), site.url(ARTICLE).replace("127.0.0.1", "localhost"), "http://10.0.0.1/", "http://169.254.169.254/latest"):
        msg = add_from_url(pipe, url)
        assert msg.startswith("⚠") and "on this machine or a private network" in msg, msg
    assert site.requests == [] and snapshot(seeds) == before  # refused before any request was sent
    off = make_pipe(seeds, web_urls="off")
    assert "switched off" in add_from_url(off, site.url(ARTICLE))
    with pytest.raises(_InputError, match="web_urls must be public, any or off"):
        Settings(web_urls="everything")
