"""The scale benchmark's corpus generator (bench/gen_corpus.py) and the benchmark itself, small.

- Same n and seed give byte-identical files; article i does not depend on n; another seed
  gives other files.
- What it writes is what the product reads: n articles from `load_corpus`, distinct ids,
  hashes and texts, a header with title, outlet, author, ISO date and url, 400-900 words.
- A holdout eval corpus is never drawn from.
- `bench/scale.py --model stub --sizes 5 --later 1` runs to the end and writes its JSON with
  every figure it promises (about 30-60 s: 10 fresh `perspectives` processes).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.corpus import frontmatter
from app.corpus.articles import load_corpus

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.gen_corpus import OUTLETS, generate, load_sources  # noqa: E402


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_size_and_seed_give_identical_files_and_a_prefix_of_a_larger_corpus(tmp_path):
    a, b, small, other = (generate(tmp_path / name, n, seed) for name, n, seed in
                          (("a", 30, 0), ("b", 30, 0), ("small", 5, 0), ("other", 30, 1)))
    fa = _files(tmp_path / "a")
    assert len(fa) == 30 and fa == _files(tmp_path / "b")
    assert a["sources"]["sha256"] == b["sources"]["sha256"]
    assert _files(tmp_path / "small") == {k: fa[k] for k in sorted(fa)[:5]}  # size 5 is the first 5 of size 30
    assert set(_files(tmp_path / "other").values()).isdisjoint(fa.values())
    with pytest.raises(FileExistsError):
        generate(tmp_path / "a", 3)  # never mixed into a folder that holds files


def test_articles_load_with_distinct_ids_hashes_and_the_headers_the_product_reads(tmp_path):
    info = generate(tmp_path / "c", 40, seed=7)
    skipped = []
    arts = load_corpus(tmp_path / "c", on_skip=lambda p, m: skipped.append(m))
    assert not skipped and len(arts) == 40
    assert len({a.id for a in arts}) == len({a.sha256 for a in arts}) == len({a.text for a in arts}) == 40
    for art in arts:
        src = art.source
        assert art.title and art.title != "unknown" and src.outlet in OUTLETS and src.author != "unknown"
        assert dt.date(2012, 1, 1) <= dt.date.fromisoformat(src.date) <= dt.date(2020, 12, 31)
        assert src.url.startswith("https://") and ".example/" in src.url
        assert 380 <= art.words <= 1000, (art.id, art.words)
        assert "\n\n" in art.text and re.match(r"^[A-Z ]+, \d+ \w+ 20[12]\d \(", art.text)  # paragraphs; the dateline lead
        fields, _ = frontmatter.split(Path(art.path).read_text(encoding="utf-8"))
        assert fields["subject"] in info["sources"]["subjects"] and fields["based_on"]
    assert len({a.source.outlet for a in arts}) >= 8
    # The seeds' subject comes first and in turn, so small corpora still hold DeepSeek articles.
    assert sum("DeepSeek" in a.text for a in arts[:5]) >= 1


def test_seeds_only_and_a_holdout_corpus_is_never_drawn_from(tmp_path):
    corpora = tmp_path / "corpora"
    for name, split in (("open-subject", "dev"), ("secret-subject", "holdout")):
        folder = corpora / name
        folder.mkdir(parents=True)
        (folder / "gold.jsonl").write_text(json.dumps({"id": "x", "split": split}) + "\n", encoding="utf-8")
        (folder / "LICENSE.md").write_text("# Licence\n\nThis licence text is not an article and must not be used.\n", encoding="utf-8")
        for i in range(3):
            words = "Zanzibar" if split == "holdout" else "Quokka"
            text = " ".join(f"The {words} report number {i} says sentence {j} is plain and clear." for j in range(12))
            (folder / f"{name}-{i}.md").write_text(f"---\ntitle: {name} {i}\n---\n\n{text}\n", encoding="utf-8")
    by_subject, info = load_sources(corpora)
    assert set(by_subject) == {"deepseek", "open-subject"}
    assert [s["why"].startswith("holdout") for s in info["skipped"]] == [True]
    generate(tmp_path / "out", 20, corpora=corpora)
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir())
    assert "Quokka" in text and "Zanzibar" not in text and "licence text" not in text
    seeds_only, info = load_sources("none")
    assert set(seeds_only) == {"deepseek"} and info["subjects"]["deepseek"]["articles"] == 5


def test_a_thousand_articles_take_seconds(tmp_path):
    t0 = time.perf_counter()
    info = generate(tmp_path / "big", 1000)
    assert len(list((tmp_path / "big").iterdir())) == 1000
    assert time.perf_counter() - t0 < 30  # about 2 s on 2 cores; the bound only catches a blow-up
    assert 400 <= info["words"]["mean"] <= 900


def test_scale_benchmark_runs_with_the_stub_and_writes_its_json(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, str(PROJECT / "bench" / "scale.py"), "--model", "stub", "--sizes", "5", "--later", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    files = list(out.glob("*-scale.json"))
    assert len(files) == 1, proc.stdout[-2000:]
    res = json.loads(files[0].read_text(encoding="utf-8"))
    assert res["model"] == "stub" and res["later_rounds"] == 1 and set(res["questions"]) == {"view", "fact"}
    assert res["warm_up"]["index"]["wall_s"] > 0 and set(res["code"]) == {"commit", "uncommitted_changes"}
    (size,) = res["sizes"]
    assert size["n"] == 5 and size["index"]["articles"] == 5 and size["index"]["passages"] > 5
    measured = [size["index"], size["first_ask"], size["compare"]] + [size[part][kind] for part in ("later_asks", "plain_rag") for kind in ("view", "fact")]
    for m in measured:
        assert m["wall_s"] > 0 and m["cpu_s"] > 0 and m["peak_pss_mb"] > 50 and m["peak_rss_mb"] >= m["peak_pss_mb"], m
    first = size["first_ask"]
    assert first["answer_chars"] > 0 and first["json_bytes"] > first["answer_chars"] and first["cards"] >= 1
    assert first["addresses"] + first["mentions"] + first["silent"] == first["cards"] and first["timing"]["total_s"] > 0
    assert first["cards"] + first["not_examined"] == 5
    for kind in ("view", "fact"):
        ours, plain = size["later_asks"][kind], size["plain_rag"][kind]
        assert ours["n"] == plain["n"] == 1 and ours["answer_chars"] > 0 and ours["cards"] >= 1 and plain["answer_chars"] > 0
        assert size["ratio_ask_to_plain"][kind] > 0
    assert size["compare"]["rows"] + size["compare"]["not_examined"] == 5 and size["compare"]["json_bytes"] > 0
    assert "ratio ask / plain RAG" in proc.stdout and "peak PSS" in proc.stdout  # the printed table
