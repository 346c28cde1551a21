"""Articles as people have them: a URL, a saved web page or a PDF in, a readable `.md` out.

Scope: fetch a URL (only here, only when the user runs `add` or uses the web app's Add
button; never at question time), extract an article's main text and metadata (trafilatura
for HTML: title, site name as outlet, author, date; pypdf for PDF: document info and first
lines), run the same text repair as every article (articles.clean_text), refuse what is
not one readable article with one line that says why, and save the result into the
article folder as `.md` with a front-matter header (frontmatter.py). The same body twice
is one article (content hash); a body in another language is saved with a notice.
Metadata that the page or file does not state is written as "unknown", never guessed
(dates come from the page's markup, not from its prose).
Not here: indexing (the next `perspectives index` or question picks the file up), cookies,
logins, JavaScript, OCR.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.corpus import frontmatter
from app.corpus.articles import ARTICLE_SUFFIXES, MAX_ARTICLE_BYTES, clean_text, load_article
from app.errors import CorpusError, InputError, describe, read_user_file

HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
#: What `add` and the web app's upload accept.
INGEST_SUFFIXES = HTML_SUFFIXES + PDF_SUFFIXES + ARTICLE_SUFFIXES
#: A page or PDF above this is refused before it is parsed (a news article's PDF is well under).
MAX_SOURCE_BYTES = 20_000_000
#: Less body text than this is not an article (a list page, a wall, a teaser).
MIN_ARTICLE_WORDS = 80
FETCH_TIMEOUT = 20.0
MAX_REDIRECTS = 5
USER_AGENT = "Perspectives/0.1 (article import on the user's request; no cookies, no JavaScript)"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PDF_TYPES = ("application/pdf", "application/x-pdf")


@dataclass
class Extracted:
    """One article taken out of a page or file, before it is saved."""

    title: str
    body: str  # cleaned text, paragraphs separated by blank lines
    fields: dict[str, str]  # front matter: outlet, author, date, source, url


@dataclass
class Added:
    """What happened to one input: saved (`path`), or already there (`added` False)."""

    added: bool
    message: str
    path: Path | None = None
    title: str = ""
    notices: list[str] = field(default_factory=list)


def add(target: str, folder: Path, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_SOURCE_BYTES,
        public_only: bool = False) -> Added:
    """Add one URL or file to the article folder. Raises InputError/CorpusError with one line.

    `public_only` (the web app's URL box) refuses addresses on this machine or a private
    network, at every redirect, so a visitor cannot make the app read internal pages.
    """
    target = str(target).strip()
    if re.match(r"(?i)https?://", target):
        data, kind, final_url = fetch(target, timeout=timeout, max_bytes=max_bytes, public_only=public_only)
        return add_bytes(data, kind, folder, source=target, url=final_url)
    if re.match(r"(?i)[a-z][a-z0-9+.-]*://", target):
        raise InputError(f"{target}: only http:// and https:// addresses can be fetched.")
    return add_file(Path(target), folder, max_bytes=max_bytes)


def add_file(path: Path, folder: Path, *, name: str | None = None, max_bytes: int = MAX_SOURCE_BYTES) -> Added:
    """Add a saved page, PDF, or text/Markdown file. `name` is the user's file name (uploads)."""
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in INGEST_SUFFIXES:
        raise InputError(f"{name}: not a web page (.html), PDF or text file (.txt/.md); cannot add it.")
    size = path.stat().st_size if path.is_file() else 0
    if size > max_bytes:
        raise InputError(f"{name}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit for one article.")
    data = read_user_file(path, missing=f"{path}: no such file. Give a file path or an http(s):// URL.",
                          folder=f"{path}: is a folder; give the article files one by one.", unreadable=f"{path}: cannot read it ({{reason}}).")
    kind = "pdf" if suffix in PDF_SUFFIXES else "html" if suffix in HTML_SUFFIXES else "text"
    return add_bytes(data, kind, folder, source=Path(name).name)


def add_bytes(data: bytes, kind: str, folder: Path, *, source: str, url: str | None = None) -> Added:
    """Extract, check and save one article given as bytes of `kind` "html", "pdf" or "text"."""
    if kind == "pdf":
        extracted = extract_pdf(data, source)
    elif kind == "html":
        extracted = extract_html(data, source, url)
    else:
        extracted = extract_text(data, source)
    extracted.fields["source"] = source
    return save(extracted, Path(folder))


# -- fetching -------------------------------------------------------------------------------


def fetch(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_SOURCE_BYTES,
          public_only: bool = False) -> tuple[bytes, str, str]:
    """GET `url`: (body, "html" or "pdf", final URL). No cookies are kept or sent.

    `timeout` bounds each network wait and the whole download; the body is streamed and the
    download stops as soon as it passes `max_bytes`.
    """
    import httpx

    try:
        with _client(timeout, public_only) as client, client.stream("GET", url) as resp:
            kind = _check_response(url, resp, max_bytes)
            data = _read_limited(url, resp, max_bytes, time.monotonic() + timeout, timeout)
            return data, kind, str(resp.url)
    except httpx.TimeoutException:
        raise InputError(f"{url}: no answer within {timeout:g} s (timed out). Try again later, or save the page in your browser and add the .html file.") from None
    except httpx.TooManyRedirects:
        raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects (a redirect loop?). Open it in a browser and add the address it ends at.") from None
    except httpx.InvalidURL as exc:
        raise InputError(f"{url}: not a valid address ({exc}).") from None
    except httpx.HTTPError as exc:
        raise InputError(f"{url}: could not fetch it ({describe(exc, 120)}). Check the address and your connection.") from None


def _client(timeout: float, public_only: bool):
    import http.cookiejar

    import httpx

    no_cookies = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    hooks = {"request": [_refuse_private_host]} if public_only else {}  # runs for every redirect too
    return httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=timeout, cookies=no_cookies, event_hooks=hooks,
                        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9"})


def _refuse_private_host(request) -> None:
    """Only internet addresses: not this machine, a private network, or link-local (cloud metadata)."""
    import ipaddress
    import socket

    host = request.url.host
    try:
        infos = socket.getaddrinfo(host, request.url.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise InputError(f"{request.url}: the host name {host!r} was not found. Check the address.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise InputError(f"{request.url}: {host} is on this machine or a private network; the web app only fetches "
                             "public internet addresses (use `perspectives add` on this machine, or set web_urls = any).")


def _check_response(url: str, resp, max_bytes: int) -> str:
    """The status, declared size and content type must fit; returns "html" or "pdf"."""
    if resp.status_code in (401, 403):
        raise InputError(f"{url}: the site refused access (HTTP {resp.status_code}); it may need a login. Save the page in your browser and add the .html file.")
    if resp.status_code >= 400:
        raise InputError(f"{url}: the site answered HTTP {resp.status_code} ({resp.reason_phrase or 'error'}). Check the address.")
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise InputError(f"{url}: {int(declared) / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit for one article.")
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in _HTML_TYPES:
        return "html"
    if ctype in _PDF_TYPES:
        return "pdf"
    raise InputError(f"{url}: the server sends {ctype or 'no content type'}, not a web page (HTML) or a PDF; cannot add it.")


def _read_limited(url: str, resp, max_bytes: int, deadline: float, timeout: float) -> bytes:
    import httpx

    chunks, size = [], 0
    for chunk in resp.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise InputError(f"{url}: more than the {max_bytes / 1e6:g} MB limit for one article; stopped downloading.")
        if time.monotonic() > deadline:  # a server that trickles bytes never trips the read timeout
            raise httpx.ReadTimeout(f"download took over {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


# -- extraction -----------------------------------------------------------------------------


def extract_html(data: bytes, name: str, url: str | None = None) -> Extracted:
    """Main text and metadata of a web page with trafilatura; refuses what is not an article."""
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    doc = trafilatura.bare_extraction(
        data, url=url, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True,
        # dates only from the page's markup and address, never guessed from its prose
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    heading, body = clean_text(doc.text or "") if doc is not None else (None, "")
    if len(body.split()) < MIN_ARTICLE_WORDS:
        raise InputError(f"{name}: {_why_not_an_article(data, len(body.split()))}")
    title = _one_line(doc.title or heading) or _first_words(body)
    meta = {
        "outlet": doc.sitename, "author": doc.author, "date": doc.date,
        "url": doc.url if doc.url and doc.url.startswith(("http://", "https://")) else url,
    }
    return Extracted(title=title, body=_rejoin(heading, body, title), fields=_known(meta))


def _why_not_an_article(data: bytes, words: int) -> str:
    """One line on why a page gave too little text: JavaScript, a login or cookie wall, a list page."""
    from lxml import etree, html

    try:
        tree = html.fromstring(data)
    except (ValueError, etree.ParserError):
        return "not a readable web page."
    for bad in tree.xpath("//script|//style"):
        bad.drop_tree()
    noscript = " ".join(tree.xpath("//noscript//text()")).lower()
    text = " ".join(" ".join(tree.xpath("//body//text()")).split())
    low = text.lower()
    links = [a for a in tree.xpath("//body//a") if len(" ".join(a.text_content().split()).split()) >= 3]
    if "javascript" in noscript or len(text.split()) < 15:
        return "the page needs JavaScript to show its text, and Perspectives does not run JavaScript. Save the page from your browser and add the .html file."
    if tree.xpath("//input[@type='password']") or re.search(r"\b(log ?in|sign ?in|subscribe) to (continue|read)", low):
        return "the article is behind a login or paywall (only a teaser is shown). Save the page from your browser while logged in and add the .html file."
    if "cookie" in low and re.search(r"\b(accept|consent|agree|reject)", low):
        return "the site shows a cookie-consent wall instead of the article, and Perspectives does not accept cookies. Save the page from your browser and add the .html file."
    if len(links) >= 5:
        return f"this looks like a list of articles (a front or section page with {len(links)} headline links), not one article. Open the article and add its own address."
    return f"only {words} words of article text found (at least {MIN_ARTICLE_WORDS} needed); this does not look like an article."


def extract_pdf(data: bytes, name: str) -> Extracted:
    """Text and metadata of a PDF with pypdf; refuses encrypted, scanned and unreadable files."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on damaged files would break the one-line rule
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # an owner-only password still opens
            raise InputError(f"{name}: the PDF is encrypted (password-protected). Save an unprotected copy and add that.")
        lines = [ln for page in reader.pages for ln in (page.extract_text() or "").splitlines()]
        info = reader.metadata or {}
    except InputError:
        raise
    except (PyPdfError, DependencyError, ValueError, KeyError, TypeError, NotImplementedError) as exc:
        raise InputError(f"{name}: not a readable PDF ({describe(exc, 120)}).") from None
    if sum(len(ln.split()) for ln in lines) < MIN_ARTICLE_WORDS:
        if any(page.images for page in reader.pages):
            raise InputError(f"{name}: the PDF has no text layer (a scan?). Run OCR on it first (e.g. ocrmypdf) and add the result.")
        raise InputError(f"{name}: the PDF holds too little text for an article.")
    return _pdf_article(lines, info)


def _pdf_article(lines: list[str], info) -> Extracted:
    head = [ln.strip() for ln in lines[:8] if ln.strip()]
    title = _one_line(info.get("/Title")) if _useful_title(info.get("/Title")) else ""
    if not title and head and len(head[0].split()) >= 3 and not head[0].endswith("."):
        title = head[0]
    byline = next((m.group(1) for ln in head if (m := re.match(r"(?i)by\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){1,3})\s*$", ln))), None)
    date = next((d for ln in head if (d := _date_in(ln))), None) or _pdf_date(info)
    skip = {title, f"By {byline}" if byline else None}
    body_lines = [ln for ln in lines if ln.strip() not in skip and not _date_in(ln.strip(), whole=True)]
    heading, body = clean_text(_reflow(body_lines))
    title = title or heading or _first_words(body)
    meta = {"author": _one_line(info.get("/Author")) or byline, "date": date}
    return Extracted(title=title, body=_rejoin(heading, body, title), fields=_known(meta))


def _useful_title(value) -> bool:
    """PDF makers often leave "Untitled" or the source file's name as the title."""
    v = _one_line(value)
    return bool(v) and not re.search(r"(?i)^untitled|\.(docx?|odt|pages|indd|html?|pdf)$|^microsoft word", v)


def _pdf_date(info) -> str | None:
    try:
        created = info.creation_date
    except (ValueError, TypeError, AttributeError):
        return None
    return created.date().isoformat() if created else None


_MONTHS = "january february march april may june july august september october november december".split()


def _date_in(line: str, whole: bool = False) -> str | None:
    """An ISO date for a date written out in `line` (2025-02-03, 3 February 2025, February 3, 2025)."""
    pats = [r"(\d{4})-(\d{2})-(\d{2})", r"(\d{1,2}) ([A-Za-z]+),? (\d{4})", r"([A-Za-z]+) (\d{1,2}),? (\d{4})"]
    for i, pat in enumerate(pats):
        m = re.fullmatch(pat, line) if whole else re.search(pat, line)
        if not m:
            continue
        try:
            if i == 0:
                y, mo, d = int(m[1]), int(m[2]), int(m[3])
            else:
                day, month = (m[1], m[2]) if i == 1 else (m[2], m[1])
                y, mo, d = int(m[3]), _MONTHS.index(month.lower()) + 1, int(day)
            return dt.date(y, mo, d).isoformat()
        except ValueError:
            continue
    return None


def _reflow(lines: list[str]) -> str:
    """PDF text comes as layout lines; join them into paragraphs.

    A paragraph ends at a blank line, or after a line that ends a sentence and is clearly
    shorter than the page's usual line. Page numbers alone on a line are dropped.
    """
    lines = [ln.strip() for ln in lines if not re.fullmatch(r"\s*(page\s+)?\d+(\s+of\s+\d+)?\s*", ln, re.I)]
    widths = sorted(len(ln) for ln in lines if ln)
    full = widths[int(len(widths) * 0.75)] if widths else 0
    paragraphs, current = [], ""
    for ln in lines:
        if not ln:
            paragraphs.append(current)
            current = ""
            continue
        if current.endswith("-") and ln[:1].islower():
            current += ln  # a word broken at the line's end keeps its hyphen: no character is lost
        else:
            current = f"{current} {ln}" if current else ln
        if re.search(r"[.!?:\"”’)]$", ln) and len(ln) < 0.85 * full:
            paragraphs.append(current)
            current = ""
    paragraphs.append(current)
    return "\n".join(p for p in paragraphs if p)


def extract_text(data: bytes, name: str) -> Extracted:
    """A .txt or .md file: its own front matter is kept, the rest repaired like every article."""
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start}). Save it as UTF-8 and retry.") from None
    fields, raw = frontmatter.split(raw, name=name)
    heading, body = clean_text(raw)
    if len(body.split()) < 5:
        raise InputError(f"{name}: no article text after cleaning (empty or only page furniture).")
    title = fields.pop("title", "") or heading or _first_words(body)
    return Extracted(title=title, body=_rejoin(heading, body, title), fields=fields)


# -- saving ---------------------------------------------------------------------------------


def content_key(body: str) -> str:
    """What makes two articles the same: their cleaned body, ignoring case and spacing."""
    return hashlib.sha256(" ".join(body.split()).casefold().encode()).hexdigest()


def save(ex: Extracted, folder: Path) -> Added:
    """Write `ex` as a new `.md` in `folder`, unless the same body is already there.

    The file is written under a temporary dot-name (ignored by the corpus) and linked into
    place only after it reads back as an article, so a failure leaves the folder unchanged.
    """
    if not folder.is_dir():
        raise CorpusError(f"Article folder not found: {folder}. Create it, or pass --seeds DIR.")
    key = content_key(ex.body)
    for path, art in _existing(folder):
        if content_key(art.text) == key:
            return Added(False, f"Already in the corpus as {path.name} (same text); nothing added.", path, art.title)
    fields = {k: frontmatter.UNKNOWN for k in frontmatter.FIELDS} | _known(ex.fields)
    fields |= {"title": ex.title, "added_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    text = frontmatter.render(fields) + f"\n# {ex.title}\n\n{ex.body}\n"
    data = text.encode("utf-8")
    if len(data) > MAX_ARTICLE_BYTES:
        raise InputError(f"{fields['source']}: {len(data):,} bytes of text is too long for one article (limit {MAX_ARTICLE_BYTES:,}).")
    dest = _write_new(folder, f"{_slug(ex.title)}-{key[:8]}.md", data)
    notices = [n for n in (_language_notice(ex.body),) if n]
    src = load_article(dest).source
    who = ", ".join(v for v in (src.outlet, src.author, src.date) if v != frontmatter.UNKNOWN) or "outlet, author and date unknown"
    return Added(True, f"Added “{ex.title}” ({who}) as {dest.name}.", dest, ex.title, notices)


def _existing(folder: Path):
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in ARTICLE_SUFFIXES:
            try:
                yield path, load_article(path)
            except InputError:
                continue  # an unusable file is reported by the corpus loader, not here


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    tmp = folder / f".{name}.{os.getpid()}.part"
    try:
        tmp.write_bytes(data)
        load_article(tmp)  # must read back as an article before it becomes one
        dest = folder / name
        os.link(tmp, dest)  # fails rather than overwrite an existing file
        return dest
    except FileExistsError:
        raise InputError(f"{name} already exists in {folder}; nothing added.") from None
    except OSError as exc:
        raise CorpusError(f"Cannot write into the article folder {folder} ({exc.strerror}); nothing added.") from exc
    finally:
        tmp.unlink(missing_ok=True)


# -- small helpers --------------------------------------------------------------------------


def _one_line(value) -> str:
    return " ".join(str(value).split()) if value else ""


def _known(meta: dict) -> dict[str, str]:
    return {k: _one_line(v) for k, v in meta.items() if _one_line(v)}


def _first_words(body: str, n: int = 12) -> str:
    words = body.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


def _rejoin(heading: str | None, body: str, title: str) -> str:
    """clean_text takes a first heading away as the title: put it back unless it is the title.

    And drop a first paragraph that repeats the title (pages often repeat the headline).
    """
    if heading and heading != title:
        body = f"{heading}\n\n{body}"
    first, _, rest = body.partition("\n\n")
    return rest if rest and first == title else body


def _slug(title: str) -> str:
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].rstrip("-")
    return slug or "article"


@lru_cache(maxsize=1)
def _language_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _language_notice(body: str) -> str | None:
    """A notice when the text is clearly not English (as app/answer/question.py does for questions)."""
    lang, prob = _language_identifier().classify(body[:5000])
    if lang == "en" or prob < 0.9:
        return None
    name = _LANGUAGES.get(lang, f"language code {lang!r}")
    return (f"This article looks like {name}, not English; the articles' search model understands English best, "
            "so questions may miss its passages. It was added; an English version will work better.")


_LANGUAGES = {"de": "German", "nl": "Dutch", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "pl": "Polish",
              "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish",
              "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "he": "Hebrew", "hi": "Hindi", "id": "Indonesian"}
