"""Load articles from a folder and repair their text.

Scope: reading `.txt`/`.md` files and their front matter (title, outlet, author, date,
url; frontmatter.py), generic Unicode repair (ftfy), the specific damage and web junk
found in real scraped articles, titles and short labels, stable ids and content hashes.
The cleaned text is what users see and quote: every character offset elsewhere in the
program indexes `Article.text`, the cleaned body without the header.
Not here: splitting into passages (chunks.py), anything about the index, turning web
pages or PDFs into article files (ingest.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import ftfy

from app.corpus import frontmatter
from app.errors import CorpusError, InputError

#: Bump when cleaning changes, so stored indexes built from older text are rebuilt.
CLEANER_VERSION = "5"  # 4: control characters removed; 5: front matter is read, not indexed as text
ARTICLE_SUFFIXES = (".txt", ".md")
# A folder's own notes, not articles: a collection shared with its licence and readme is read as is.
NOT_ARTICLES = ("readme", "license", "licence", "copying", "notice", "changelog")
#: Articles above this size are refused (a news article is 5-50 kB).
MAX_ARTICLE_BYTES = 2_000_000

# Lines that are page furniture, not article text.
_JUNK_LINE = re.compile(
    r"""^(skip\ to\ (main\ )?content|leave\ a\ comment|share\ this( article)?|advertisement
         |read\ more|related\ articles?)$""",
    re.IGNORECASE | re.VERBOSE,
)
_TEASER_HEAD = re.compile(r"^(read also|see also|also read)\s*:?$", re.IGNORECASE)
# Image-URL residue such as "%2Fs3%2Fstatic.nrc.nl%2F...jpg&w=1920&q=100)".
_URL_JUNK = re.compile(r"%2F|/s3/|\.(?:jpe?g|png|gif|webp)(?:[?&)]|$)", re.IGNORECASE)
# A lone source domain line such as "nrc.nl".
_DOMAIN_LINE = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:nl|com|org|net|co\.uk|de|cn)$", re.I)
# Control characters ftfy leaves (C1 codes with no cp1252 meaning, e.g. U+008D) and lone
# surrogates: invisible in the text users read and quote, and unencodable for the index.
# Line and paragraph breaks are kept: they are whitespace and split lines below.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Source:
    """Who published an article (from its front matter; "unknown" where the text does not say)."""

    outlet: str = "unknown"
    author: str = "unknown"
    date: str = "unknown"
    url: str = "unknown"


@dataclass(frozen=True)
class Article:
    """One cleaned article. `text` holds the body only; the title is kept apart."""

    id: str
    title: str
    label: str
    text: str
    path: str
    sha256: str = field(repr=False)
    source: Source = field(default_factory=Source)

    @property
    def words(self) -> int:
        return len(self.text.split())


def repair_lost_quotes(text: str) -> str:
    """Repair quotes and apostrophes that were mangled into 'ā'.

    Some scrapes turn U+2019/U+201C/U+201D into 'ā' (the UTF-8 bytes lost their 2nd and
    3rd byte), e.g. "companyās" and "āGame overā". ftfy cannot undo this because
    the information is gone, but the position tells which mark it was: between letters it
    is an apostrophe, before a word it opens a quote, elsewhere it closes one. Only applied
    when the damage pattern is frequent, so genuine 'ā' (pinyin, Latvian...) is left alone.
    """
    if len(re.findall(r"[A-Za-z]ā(?:s|t|re|ve|ll|d|m)\b", text)) < 3:
        return text
    text = re.sub(r"(?<=[A-Za-z])ā(?=[A-Za-z])", "\u2019", text)
    text = re.sub(r"(?:(?<=^)|(?<=[\s(\[—–-]))ā(?=[\w$£€])", "\u201c", text, flags=re.M)
    return text.replace("ā", "\u201d")


def _is_heading(paragraph: str) -> bool:
    return len(paragraph) <= 160 and not re.search(r"[.!?:;,]$", paragraph) and len(paragraph.split()) >= 3


def clean_text(raw: str) -> tuple[str | None, str]:
    """Return (title or None, cleaned body) for raw article text.

    Paragraphs are separated by one blank line; whitespace inside a paragraph is folded.
    """
    text = ftfy.fix_text(raw, uncurl_quotes=False, normalization="NFC")
    text = repair_lost_quotes(_INVISIBLE.sub("", text))
    paragraphs: list[str] = []
    skip_next = False
    for line in text.splitlines():
        line = re.sub(r"\s+", " ", line).strip()
        if not line:
            continue
        if skip_next:  # the teaser headline that follows "Read also"
            skip_next = False
            continue
        if _TEASER_HEAD.match(line):
            skip_next = True
            continue
        if _JUNK_LINE.match(line) or _URL_JUNK.search(line) or _DOMAIN_LINE.match(line):
            continue
        line = line.lstrip("#").strip() if line.startswith("#") else line
        if line:  # a lone "#" is no paragraph
            paragraphs.append(line)
    title = None
    if paragraphs and _is_heading(paragraphs[0]) and len(paragraphs) > 1:
        title = paragraphs.pop(0)
    return title, "\n\n".join(paragraphs)


def make_label(title: str, max_chars: int = 42) -> str:
    """A short, readable label for tables: the title cut at a word boundary."""
    if len(title) <= max_chars:
        return title
    head = title[: max_chars + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else head[:max_chars]  # one long word: cut inside it
    return (cut.rstrip(",;:—–- ") or title[:max_chars]) + "…"


def _fallback_title(body: str) -> str:
    first = re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]
    return make_label(first, 80)


def article_id(path: Path) -> str:
    """Stable id from the file name (without suffix), safe for metadata and URLs."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-") or "article"


def source_from(fields: dict[str, str]) -> Source:
    """Source from front-matter fields; `url` falls back to an http(s) `source`."""
    url = fields.get("url") or fields.get("source", "")
    if not url.startswith(("http://", "https://")):
        url = frontmatter.UNKNOWN
    return Source(**{k: fields.get(k) or frontmatter.UNKNOWN for k in ("outlet", "author", "date")}, url=url)


def _title_and_body(fields: dict[str, str], heading: str | None, body: str) -> tuple[str, str]:
    """The header's title wins; a first heading that is not that title stays in the body."""
    title = fields.get("title", "").strip()
    if not title or title == frontmatter.UNKNOWN:
        return heading or _fallback_title(body), body
    def same(a: str, b: str) -> bool:  # "# #MeToo" is read back as the heading "MeToo"
        return a.lstrip("# ").strip() == b.lstrip("# ").strip()

    if heading and not same(heading, title):
        body = f"{heading}\n\n{body}"
    first, _, rest = body.partition("\n\n")
    if same(first, title) and rest:  # a title that ends in '?' is not taken for a heading
        body = rest
    return title, body


def load_article(path: Path, known: dict[str, Article] | None = None) -> Article:
    """One article file, cleaned. `known`: articles cleaned before, by content hash; a file whose
    bytes are unchanged is taken from there (cleaning is most of the cost of a large corpus)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data + CLEANER_VERSION.encode()).hexdigest()
    seen = (known or {}).get(digest)
    if seen is not None and seen.id == article_id(path):
        return seen if seen.path == str(path) else replace(seen, path=str(path))
    if len(data) > MAX_ARTICLE_BYTES:
        raise InputError(f"{path}: {len(data):,} bytes is too large for an article (limit {MAX_ARTICLE_BYTES:,}).")
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, not text. Articles must be .txt or .md text.")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raw = data.decode("cp1252", errors="replace")
        if raw.count("\ufffd") > 10:
            raise InputError(f"{path}: not UTF-8 text (byte {exc.start}). Save it as UTF-8 and retry.") from exc
    fields, raw = frontmatter.split(raw, name=str(path))
    heading, body = clean_text(raw)
    if len(body.split()) < 5:
        raise InputError(f"{path}: no article text after cleaning (empty or only page furniture).")
    title, body = _title_and_body(fields, heading, body)
    return Article(id=article_id(path), title=title, label=make_label(title), text=body, path=str(path), sha256=digest,
                   source=source_from(fields))


def _folder_note(path: Path) -> bool:
    return path.stem.lower() in NOT_ARTICLES


def load_corpus(folder: Path, *, on_skip=None, known: dict[str, Article] | None = None) -> list[Article]:
    """Load every article in `folder`, sorted by file name.

    A file that cannot be used is reported through `on_skip(path, message)` and skipped,
    so one bad upload does not take the corpus down.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"Article folder not found: {folder}. Create it and put .txt or .md files in it, or pass --seeds DIR.")
    articles: list[Article] = []
    seen: set[str] = set()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and not _folder_note(p)):
        if path.suffix.lower() not in ARTICLE_SUFFIXES:
            if on_skip:
                hint = f"add it with: perspectives add {path.name}" if path.suffix.lower() in (".html", ".htm", ".pdf") else "convert it to text first"
                on_skip(path, f"{path.name}: not a .txt or .md file; ignored ({hint}).")
            continue
        try:
            art = load_article(path, known)
        except InputError as exc:
            if on_skip:
                on_skip(path, str(exc))
            continue
        if art.id in seen:
            if on_skip:
                on_skip(path, f"{path.name}: another file already has id {art.id!r}; skipped.")
            continue
        seen.add(art.id)
        articles.append(art)
    if not articles:
        raise CorpusError(f"No usable articles (.txt or .md) in {folder}.")
    return articles
