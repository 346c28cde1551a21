"""Compare mode: stance rows, evidence, contrast, outputs, chart, CLI (stub model), plus one
end-to-end run on the bundled GGUF."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
from click.testing import CliRunner

from app.answer.citations import verify_quote
from app.cli.main import cli
from app.answer.compare import STANCES, Row, compare, contrast, template_claim, usable_claim
from app.llm.stub import StubModel
from app.render.compare import table, to_csv, to_markdown
from app.retrieve.hybrid import Retriever
from app.answer.stance import NOT_ADDRESSED, judge_cues, parse_schema_reply
from app.answer.topics import suggest_topics

TOPIC = "US export controls"
CLAIM = "US export controls on chips hold back Chinese AI"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _where(pipe) -> list[str]:
    """CLI flags pointing at the shared pipeline's seeds and (already built) index."""
    return ["--seeds", str(pipe.settings.seeds), "--data-dir", str(pipe.settings.data_dir)]


def _fresh_stub(pipe) -> StubModel:
    model = StubModel()
    pipe.set_model(model)
    return model


def _reordered(pipe):
    """The same pipeline with its articles listed in reverse order (shallow copy)."""
    view = copy.copy(pipe)
    arts = list(reversed(pipe.articles))
    view.articles = arts
    view.retriever = Retriever(arts, [p for a in arts for p in pipe.retriever.by_article.get(a.id, [])], pipe.index, pipe.embedder, floor=pipe.settings.floor)
    return view


def test_rows_quotes_and_citations_are_verbatim(stub_pipe):
    _fresh_stub(stub_pipe)
    res = compare(stub_pipe, TOPIC, CLAIM)
    assert res.claim == CLAIM and res.claim_source == "user"
    assert [r.article_id for r in res.rows] == sorted(a.id for a in stub_pipe.articles)
    assert all(r.stance in STANCES for r in res.rows)
    addressed = [r for r in res.rows if r.stance != NOT_ADDRESSED]
    assert addressed, "the gold claim is addressed by several articles"
    for r in addressed:
        assert 1 <= len(r.quotes) <= 3 and r.viewpoint
        art = stub_pipe.article(r.article_id)
        for q in r.quotes:
            assert verify_quote(art.text, q["text"], q["start"], q["end"])
            assert stub_pipe.retriever.passages[q["passage_id"]].article_id == r.article_id
    cites = [q["citation"] for r in res.rows for q in r.quotes]
    assert sorted(set(cites)) == list(range(1, len(set(cites)) + 1))
    assert "judgements by the model stub" in res.disclaimer


def test_not_addressed_rows_never_reach_the_model(stub_pipe):
    model = _fresh_stub(stub_pipe)
    res = compare(stub_pipe, TOPIC)  # the template/claim wording leaves most articles below the floor
    silent = [r for r in res.rows if r.stance == NOT_ADDRESSED]
    assert silent, "expected at least one article below the relevance floor"
    prompts_seen = "\n".join(m["content"] for h in model.history for m in h["messages"])
    for r in silent:
        assert r.method == "relevance floor" and r.quotes == [] and r.confidence is None
        assert f'"{r.title}"' not in prompts_seen  # the article's name never appeared in any prompt
    assert "do not address" in res.contrast["text"] or "does not address" in res.contrast["text"]


def test_article_order_does_not_change_the_result(stub_pipe):
    _fresh_stub(stub_pipe)
    a = compare(stub_pipe, TOPIC, CLAIM, summary=True)
    view = _reordered(stub_pipe)
    assert [x.id for x in view.retriever.articles] != [x.id for x in stub_pipe.retriever.articles]
    _fresh_stub(view)
    b = compare(view, TOPIC, CLAIM, summary=True)
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "timing"}  # noqa: E731
    assert strip(a) == strip(b)


def test_contrast_is_computed_from_labels_and_order_free():
    rows = [Row(f"00{i}", f"T{i}", f"A{i}", s, "", []) for i, s in enumerate(["supports", "opposes", "supports", NOT_ADDRESSED, "mixed"])]
    c = contrast(rows)
    assert c == contrast(list(reversed(rows)))
    assert c["agree"] == ["A0 and A2 both support the claim."]
    assert c["differ"] == ["A0 and A2: supports; A1: opposes; A4: mixed."]
    assert c["silent"] == ["A3 does not address it."]
    assert c["counts"] == {"supports": 2, "opposes": 1, "mixed": 1, NOT_ADDRESSED: 1}


def test_claim_from_model_or_template():
    assert usable_claim("Claim: US export controls slow down Chinese AI labs.\nMore text", TOPIC) == "US export controls slow down Chinese AI labs."
    assert usable_claim("The passages do not answer this.", TOPIC) is None  # off topic
    assert usable_claim("export", TOPIC) is None  # too short
    assert template_claim("US export controls?") == "The article views US export controls favourably."


def test_stub_claim_falls_back_to_template(stub_pipe):
    _fresh_stub(stub_pipe)
    res = compare(stub_pipe, "China's education system")
    assert res.claim_source == "template" and "China's education system" in res.claim


def test_schema_reply_parsing_tolerates_truncation():
    assert parse_schema_reply('{"viewpoint": "It says no.", "stance": "opposes"}') == ("opposes", "It says no.")
    assert parse_schema_reply('{"viewpoint": "It says') == (None, "It says")
    assert judge_cues("DeepSeek is original", "[1] DeepSeek is not original at all.").stance == "opposes"


def test_schema_method_uses_constrained_generation(stub_pipe):
    model = _fresh_stub(stub_pipe)
    res = compare(stub_pipe, TOPIC, CLAIM, method="schema")
    calls = [h for h in model.history if h.get("schema")]
    assert len(calls) == sum(r.stance != NOT_ADDRESSED for r in res.rows)
    assert calls[0]["schema"]["properties"]["stance"]["enum"] == ["supports", "opposes", "mixed"]


def test_table_json_csv_markdown(stub_pipe):
    _fresh_stub(stub_pipe)
    res = compare(stub_pipe, TOPIC, CLAIM)
    text = table(res, width=100)
    assert f"Claim (user): {CLAIM}" in text and "Contrast" in text and "not facts" in text
    q = next(q for r in res.rows for q in r.quotes)
    assert f"[{q['citation']}]" in text
    data = json.loads(json.dumps(res.to_dict()))
    assert {"passage_id", "start", "end", "citation", "text"} <= set(data["rows"][0]["quotes"][0] if data["rows"][0]["quotes"] else q)
    rows = list(csv.DictReader(io.StringIO(to_csv([res]))))
    assert len(rows) == len(stub_pipe.articles) and {r["stance"] for r in rows} <= set(STANCES)
    md = to_markdown(res)
    assert md.startswith(f"## {TOPIC}") and "| Article | Stance |" in md and q["text"].replace("|", "\\|") in md


def test_cli_compare_table_and_files(stub_pipe, tmp_path):
    out_csv, out_md, out_png = tmp_path / "c.csv", tmp_path / "c.md", tmp_path / "c.png"
    args = ["compare", TOPIC, "--claim", CLAIM, "--model", "stub", *_where(stub_pipe),
            "--csv", str(out_csv), "--md", str(out_md), "--plot", str(out_png)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert f"Claim (user): {CLAIM}" in r.output and "Stance" in r.output and "Contrast" in r.output
    assert "judgements by the model stub" in r.output
    assert out_csv.read_text(encoding="utf-8").startswith("topic,claim,article_id")
    assert "**Claim** (user)" in out_md.read_text(encoding="utf-8")
    assert out_png.read_bytes()[:8] == PNG_MAGIC


def test_cli_compare_json_carries_offsets(stub_pipe):
    r = CliRunner().invoke(cli, ["compare", TOPIC, "--claim", CLAIM, "--json", "--model", "stub", *_where(stub_pipe)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    quotes = [q for row in data["rows"] for q in row["quotes"]]
    assert quotes and all({"passage_id", "start", "end", "citation"} <= set(q) for q in quotes)


def test_cli_several_topics_plot(stub_pipe, tmp_path):
    topics_file = tmp_path / "topics.txt"
    topics_file.write_text("# topics\nChina's education system\nhiring of young graduates\n", encoding="utf-8")
    png = tmp_path / "out" / "matrix.png"
    r = CliRunner().invoke(cli, ["compare", TOPIC, "--topics-file", str(topics_file), "--model", "stub",
                                 *_where(stub_pipe), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    assert r.output.count("Topic: ") == 3
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 5000


def test_cli_errors_are_one_line(stub_pipe, tmp_path):
    r = CliRunner().invoke(cli, ["compare", "--model", "stub", *_where(stub_pipe)])
    assert r.exit_code == 2 and "Give a topic" in r.output
    r = CliRunner().invoke(cli, ["compare", "a", "b", "--claim", "x y z w", "--model", "stub", *_where(stub_pipe)])
    assert r.exit_code == 2 and "--claim applies to one topic" in r.output
    r = CliRunner().invoke(cli, ["compare", TOPIC, "--model", "stub", *_where(stub_pipe), "--plot", str(tmp_path / "x.jpg")])
    assert r.exit_code == 2 and ".png" in r.output


def test_topics_are_from_the_corpus_and_deterministic(stub_pipe):
    a, b = suggest_topics(stub_pipe, 8), suggest_topics(stub_pipe, 8)
    assert a == b and len(a) == 8
    text = " ".join(p.text.lower() for p in stub_pipe.passages)
    assert all(t.topic in text.replace("’s", "").replace("'s", "") or t.topic in text for t in a)
    assert all(t.articles >= 2 for t in a)
    r = CliRunner().invoke(cli, ["topics", "--model", "stub", *_where(stub_pipe), "-n", "5"])
    assert r.exit_code == 0 and r.output.startswith("Suggested topics") and a[0].topic in r.output


@pytest.mark.real_model
def test_compare_end_to_end_on_the_bundled_model(stub_pipe, real_model):
    view = copy.copy(stub_pipe)  # do not leave the real model on the shared pipeline
    view.set_model(real_model)
    res = compare(view, "is DeepSeek original innovation?", "DeepSeek is a genuine breakthrough in original innovation")
    assert all(r.stance in STANCES for r in res.rows)
    addressed = [r for r in res.rows if r.stance != NOT_ADDRESSED]
    assert addressed and all(r.confidence is not None and 0 < r.confidence <= 1 for r in addressed)
    for r in addressed:
        art = view.article(r.article_id)
        assert r.viewpoint and all(verify_quote(art.text, q["text"], q["start"], q["end"]) for q in r.quotes)
    assert res.model.endswith(".gguf") and "Claim (user)" in table(res)
