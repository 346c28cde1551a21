"""A deterministic news corpus of any size, made from the article text this repository ships.

    python bench/gen_corpus.py OUT_DIR -n 1000            # 1,000 articles into OUT_DIR
    python bench/gen_corpus.py OUT_DIR -n 50 --seed 3 --corpora none   # from the seeds only

`generate(folder, n, seed=0)` writes n `.md` articles with the header the product reads
(title, outlet, author, date, source, url; README "Your own articles"), for the scale
benchmark (bench/scale.py) and the tests. Nothing is downloaded.

Where the text comes from: the 5 seed articles (`seeds/`, one subject: DeepSeek, Chinese AI and
US export controls) and, when present, the eval corpora in `tests/eval/corpora/<subject>/`
(real Wikinews articles, CC BY 2.5; their LICENSE.md says so). A corpus whose gold marks it
as the holdout split is never used: its text must not end up in anything that is tuned on.
Each subject is one group of articles, taken in turn (the seeds' subject first, so even 5
articles hold DeepSeek articles).

What one article is: a dateline lead (city, date, outlet: unique with the file's other
sentences), then sentences drawn mostly from one source article, in its order, then
background paragraphs from other articles of the same subject, sometimes one sentence from
another subject; 400-900 words in paragraphs of 2-5 sentences. Sentences are verbatim from
the source's cleaned text, so questions on the seeds still find their facts. Outlets (15,
fictional, `.example` domains), authors and dates (2012-2020) vary. Article i depends only
on (seed, i) and the source text: the first 50 articles of n=1000 are the 50 of n=50, and
the same n and seed give byte-identical files.
Not here: timing anything (bench/scale.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SEEDS = ROOT / "seeds"
CORPORA = ROOT / "tests" / "eval" / "corpora"
SEED_SUBJECT = "deepseek"

OUTLETS = [
    "The Northfield Courier", "Lakeside Gazette", "The Meridian Post", "Granite City Herald", "The Evening Ledger",
    "Coastal Review", "The Prairie Observer", "Riverbend Daily", "The Continental Wire", "Summit Tribune",
    "The Lantern", "Eastgate Chronicle", "The Weekly Compass", "Harbourline News", "The Civic Standard",
]
FIRST_NAMES = ["Anna", "Bram", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko", "Luca",
               "Maya", "Nils", "Olga", "Pedro", "Rosa", "Samir", "Tess", "Viktor"]
LAST_NAMES = ["Achterberg", "Bianchi", "Castell", "Dunmore", "Eklund", "Fairley", "Gallo", "Hartwell", "Ivanova", "Jansen",
              "Kowal", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrakis", "Quint", "Rahman", "Sato", "Varga"]
CITIES = ["Amsterdam", "Boston", "Cape Town", "Dublin", "Edinburgh", "Frankfurt", "Geneva", "Hong Kong", "Istanbul",
          "Jakarta", "Lisbon", "Melbourne", "Nairobi", "Oslo", "Seoul", "Toronto", "Vancouver", "Warsaw"]
SECTIONS = ["news", "business", "technology", "world", "economy", "analysis"]
TITLE_FORMS = ["{t}", "{t}", "Analysis: {t}", "{t}, explained", "Update: {t}", "What we know: {t}", "{t}: the background",
               "Inside the story: {t}"]
FIRST_DAY, LAST_DAY = dt.date(2012, 1, 1), dt.date(2020, 12, 31)
MIN_WORDS, MAX_WORDS = 400, 900
PRIMARY_SHARE = 0.7       # of the words, from the article's one source article (the rest: same subject)
OFF_SUBJECT_CHANCE = 0.3  # one sentence from another subject, as real articles drift

# A sentence ends at . ! or ? (perhaps closed by a quote) before a capital or digit; not after
# an initial or a title ("U.S. Senate", "Mr. Liang").
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][”\"’)]))(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)"
                           r"\s+(?=[“\"‘(]?[A-Z0-9])")
_SENTENCE_OK = re.compile(r"^[“\"‘(A-Z0-9].*[.!?][”\"’)]?$", re.S)


@dataclass(frozen=True)
class Source:
    """One article we draw from: its subject, title, id and sentences (verbatim, cleaned)."""

    subject: str
    id: str
    title: str
    sentences: tuple[str, ...]


def split_sentences(text: str) -> list[str]:
    """Whole sentences of a cleaned article text, paragraph by paragraph (6-70 words each)."""
    out = []
    for para in text.split("\n\n"):
        for s in _SENTENCE_END.split(para.strip()):
            s = s.strip()
            if 6 <= len(s.split()) <= 70 and _SENTENCE_OK.match(s):
                out.append(s)
    return out


def _is_holdout(folder: Path) -> bool:
    gold = folder / "gold.jsonl"
    if not gold.is_file():
        return False
    for line in gold.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line).get("split") == "holdout":
                return True
        except (ValueError, AttributeError):
            continue
    return False


def _article_files(folder: Path) -> list[Path]:
    """The article files of a folder: .md/.txt, not its LICENSE or README."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".md", ".txt")
                  and not p.stem.upper().startswith(("LICENSE", "README")) and not p.name.startswith("."))


def source_folders(corpora: Path | str | None = None) -> tuple[list[tuple[str, Path]], list[dict]]:
    """([(subject, folder)], [skipped folders with why]). corpora: None = the repo's tests/eval/corpora
    if it exists, "none" = the seeds only, else a folder of subject folders."""
    folders: list[tuple[str, Path]] = [(SEED_SUBJECT, SEEDS)]
    skipped: list[dict] = []
    root = CORPORA if corpora is None else None if str(corpora).lower() == "none" else Path(corpora)
    if root is not None and root.is_dir():
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            if _is_holdout(sub):
                skipped.append({"folder": str(sub), "why": "holdout corpus (its gold has split=holdout): never used"})
            elif _article_files(sub):
                folders.append((sub.name, sub))
    elif root is not None:
        skipped.append({"folder": str(root), "why": "not found: seeds only"})
    return folders, skipped


def load_sources(corpora: Path | str | None = None) -> tuple[dict[str, list[Source]], dict]:
    """Every usable source article by subject, and a description (folders, counts, text hash)."""
    from app.corpus.articles import load_article
    from app.errors import InputError

    folders, skipped = source_folders(corpora)
    by_subject: dict[str, list[Source]] = {}
    digest = hashlib.sha256()
    for subject, folder in folders:
        for path in _article_files(folder):
            try:
                art = load_article(path)
            except InputError as exc:
                skipped.append({"folder": str(path), "why": str(exc)})
                continue
            sentences = tuple(split_sentences(art.text))
            if len(sentences) < 3:
                continue
            digest.update(path.read_bytes())
            by_subject.setdefault(subject, []).append(Source(subject, art.id, art.title, sentences))
    info = {"subjects": {s: {"articles": len(v), "sentences": sum(len(a.sentences) for a in v),
                             "folder": str(next(f for sub, f in folders if sub == s))} for s, v in by_subject.items()},
            "skipped": skipped, "sha256": digest.hexdigest()}
    return by_subject, info


def _slug(text: str, limit: int = 48) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "article"


def _words(sentences) -> int:
    return sum(len(s.split()) for s in sentences)


def _paragraphs(rng: random.Random, sentences: list[str]) -> list[list[str]]:
    paras, i = [], 0
    while i < len(sentences):
        k = rng.randint(2, 5)
        paras.append(sentences[i:i + k])
        i += k
    if len(paras) > 1 and len(paras[-1]) == 1:  # no one-sentence tail paragraph
        paras[-2].extend(paras.pop())
    return paras


def _pick(rng: random.Random, sentences: list[str], budget: int) -> list[str]:
    """Sentences (kept in their order) adding up to about `budget` words."""
    order = list(range(len(sentences)))
    rng.shuffle(order)
    chosen, words = [], 0
    for i in order:
        if words >= budget:
            break
        chosen.append(i)
        words += len(sentences[i].split())
    return [sentences[i] for i in sorted(chosen)]


def make_article(i: int, seed: int, by_subject: dict[str, list[Source]]) -> tuple[str, str]:
    """(file name, file text) of article i. Depends only on (seed, i) and the sources."""
    rng = random.Random(f"perspectives-scale:{seed}:{i}")
    subjects = sorted(by_subject, key=lambda s: (s != SEED_SUBJECT, s))
    subject = subjects[i % len(subjects)]
    pool = by_subject[subject]
    primary = pool[(i // len(subjects) + seed) % len(pool)]
    target = rng.randint(MIN_WORDS, MAX_WORDS)

    main = _pick(rng, list(primary.sentences), int(target * PRIMARY_SHARE))
    others = [a for a in pool if a is not primary]
    background: list[list[str]] = []  # one block per other source article, in its own order
    have = _words(main)
    rng.shuffle(others)
    for other in others:
        if have >= target:
            break
        block = _pick(rng, list(other.sentences), min(target - have, rng.randint(60, 160)))
        background.append(block)
        have += _words(block)

    paras = _paragraphs(rng, main)
    for block in background:  # background paragraphs go anywhere after the lead paragraph
        for para in _paragraphs(rng, block):
            paras.insert(rng.randint(1, len(paras)), para)
    strangers = [s for s in subjects if s != subject]
    if strangers and rng.random() < OFF_SUBJECT_CHANCE and len(paras) > 1:
        stray = rng.choice(by_subject[rng.choice(strangers)])
        rng.choice(paras[1:]).append(rng.choice(stray.sentences))

    outlet = OUTLETS[rng.randrange(len(OUTLETS))]
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    date = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    city = rng.choice(CITIES)
    title = rng.choice(TITLE_FORMS).format(t=primary.title.rstrip(" ."))
    # The dateline makes the lead unique: city, date, outlet, and the file's own number.
    paras[0][0] = f"{city.upper()}, {date.day} {date:%B %Y} ({outlet}, file {seed}-{i + 1:05d}) — {paras[0][0]}"
    domain = _slug(outlet.removeprefix("The "), 40).replace("-", "") + ".example"
    name = f"a{i + 1:05d}-{_slug(title, 40)}"
    url = f"https://www.{domain}/{rng.choice(SECTIONS)}/{date:%Y/%m/%d}/{_slug(title, 60)}-{i + 1}"
    from app.corpus import frontmatter

    header = frontmatter.render({"title": title, "outlet": outlet, "author": author, "date": date.isoformat(),
                                 "source": url, "url": url, "subject": subject, "based_on": primary.id})
    body = "\n\n".join(" ".join(p) for p in paras)
    return f"{name}.md", f"{header}\n{body}\n"


def generate(folder: Path | str, n: int, seed: int = 0, *, corpora: Path | str | None = None) -> dict:
    """Write n articles into `folder` (created; must be empty). Returns what was written and from what.

    corpora: None = the repository's tests/eval/corpora if present (else the seeds only);
    "none" = the seeds only; or another folder of subject folders.
    """
    t0 = time.perf_counter()
    folder = Path(folder)
    if n < 1:
        raise ValueError("n must be at least 1")
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty: the corpus would mix with what is there")
    by_subject, info = load_sources(corpora)
    words = []
    for i in range(n):
        name, text = make_article(i, seed, by_subject)
        (folder / name).write_bytes(text.encode("utf-8"))
        words.append(len(text.split("\n---\n", 1)[-1].split()))
    return {"n": n, "seed": seed, "folder": str(folder), "sources": info, "seconds": round(time.perf_counter() - t0, 3),
            "words": {"total": sum(words), "min": min(words), "max": max(words), "mean": round(sum(words) / n)}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", help="where to write the articles (created; must be empty)")
    ap.add_argument("-n", type=int, default=50, help="how many articles")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpora", default=None, help="folder of subject folders (default: tests/eval/corpora if present); 'none': seeds only")
    args = ap.parse_args(argv)
    info = generate(args.folder, args.n, args.seed, corpora=args.corpora)
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
