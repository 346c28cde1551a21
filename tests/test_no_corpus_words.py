"""No word of the seed corpus in the code: what the app knows about a subject comes from the corpus.

The seeds' distinctive names are derived here, not listed by hand: capitalised words of the
seed articles that the seeds never write in lower case, four letters or more (or holding a
digit: "H800"), and that no other eval corpus uses (the three dev corpora and the attribution
articles). Ordinary English words that happen to pass that filter ("Institute", "Valley") are
taken out by GENERAL below. Every .py file and every prompt or text file under app/ is read,
except the shipped copies of the seeds and the eval sets (app/data/seeds, app/data/eval).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.corpus.articles import load_corpus

PROJECT = Path(__file__).resolve().parent.parent
APP = PROJECT / "app"
EVAL = PROJECT / "tests" / "eval"
DEV_CORPORA = ["financial-crisis-markets-2008", "airbus-a380", "apple-iphone"]
# Capitalised in the seeds (titles, "Multi-head Latent Attention", "Nobel Prize") but ordinary
# English, or a language's name (the add command names the language of an article).
GENERAL = frozenset("""
acclaim americans bears brands ceos characteristics chinese conservatory data experts flyer fruit helping institute jack
lacking lancaster latent llama marina meta mixture multi nobel notably ocean prize record silicon specifically stands
telegram thanks therefore valley valleys visa west
openai
""".split())  # openai: the OpenAI-compatible model server API
SKIPPED = (APP / "data" / "seeds", APP / "data" / "eval")


def _words(texts) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", " ".join(texts).lower()))


def seed_names() -> set[str]:
    seeds = load_corpus(PROJECT / "seeds")
    text = " ".join(f"{a.title}\n{a.text}" for a in seeds)
    lower = set(re.findall(r"\b[a-z][a-z0-9]*\b", text))
    others = [a.title + " " + a.text for d in DEV_CORPORA for a in load_corpus(EVAL / "corpora" / d)]
    others += [a.title + " " + a.text for d in (EVAL / "attribution").iterdir() if d.is_dir() for a in load_corpus(d)]
    elsewhere = _words(others)
    caps = {w.lower() for w in re.findall(r"\b[A-Z][A-Za-z0-9]*\b", text)}
    return {w for w in caps - lower - elsewhere - GENERAL if len(w) >= 4 or re.search(r"\d", w)}


def code_files() -> list[Path]:
    files = []
    linked = [p for p in (APP / "data").iterdir() if p.is_symlink() and p.is_dir()]  # rglob does not follow links
    for path in [*APP.rglob("*"), *(f for d in linked for f in d.rglob("*"))]:
        resolved = path.resolve()
        if any(path.is_relative_to(s) or resolved.is_relative_to(s.resolve()) for s in SKIPPED):
            continue
        if path.is_file() and path.suffix in (".py", ".txt", ".md", ".json", ".toml", ".yaml", ".yml"):
            files.append(path)
    return files


def test_the_derived_names_are_the_seeds_own():
    names = seed_names()
    assert {"deepseek", "liang", "wenfeng", "nvidia", "h800", "tsinghua", "zhejiang", "hangzhou", "jinping", "huawei"} <= names
    assert not names & {"government", "university", "company", "market", "china"}  # general, or used by the other corpora


def test_the_scan_reads_code_and_prompts_but_not_the_shipped_articles():
    files = {p.relative_to(APP).as_posix() for p in code_files()}
    assert "retrieve/terms.py" in files and "data/prompts/fact.txt" in files
    assert not any(f.startswith(("data/seeds/", "data/eval/")) for f in files)


@pytest.mark.parametrize("path", code_files(), ids=lambda p: p.relative_to(APP).as_posix())
def test_no_seed_name_in_the_code(path):
    names = seed_names_cached()
    text = path.read_text(encoding="utf-8", errors="replace").lower()
    found = sorted(w for w in set(re.findall(r"[a-z0-9]+", text)) if w in names)
    assert found == [], f"{path.relative_to(PROJECT)} names the seed corpus: {found}"


_CACHE: dict[str, set[str]] = {}


def seed_names_cached() -> set[str]:
    if "names" not in _CACHE:
        _CACHE["names"] = seed_names()
    return _CACHE["names"]


HISTORY = re.compile(r"\bsession[- ]\d+\b|\bdev q\d+\b|\bq\d\d\b", re.I)


@pytest.mark.parametrize("path", [p for p in code_files() if p.suffix == ".py"], ids=lambda p: p.relative_to(APP).as_posix())
def test_no_session_numbers_or_question_ids_in_the_code(path):
    """Comments say why, not when: "session 13" or "dev q33" belong in models.md's history."""
    found = HISTORY.findall(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.relative_to(PROJECT)}: {found}"
