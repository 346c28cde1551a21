"""Compare mode, evidence first: rows of verbatim evidence, honest silence, stance labels only
from a model that passes the calibration, outputs, chart, CLI (stub model), plus one
end-to-end run on the bundled GGUF."""

from __future__ import annotations

import copy
import csv
import io
import json
from dataclasses import asdict

import pytest
from click.testing import CliRunner

from app.answer import calibration
from app.answer.citations import verify_quote
from app.answer.compare import STANCES, CompareRow, compare, contrast, template_claim, usable_claim
from app.answer.results import NOT_ADDRESSED, NOT_JUDGED
from app.answer.stance import LABELS, judge_cues, parse_schema_reply
from app.answer.voice import voiced
from app.answer.topics import suggest_topics
from app.cli.main import cli
from app.llm.stub import StubModel
from app.render.compare import table, to_csv, to_markdown
from app.resources import EVAL_DIR
from app.retrieve.evidence import EvidenceFinder
from app.retrieve.hybrid import Retriever

TOPIC = "US export controls"
CLAIM = "US export controls on chips hold back Chinese AI"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class GoldStub(StubModel):
    """A stub configured to pass the stance calibration: on the gold evidence it gives the gold
    label, elsewhere the stub's usual stable choice."""

    name = "gold-stub"

    def __init__(self):
        super().__init__()
        self.gold = {r["evidence"]: r["stance"] for r in calibration.gold_rows()}

    def score_labels(self, messages, labels):
        prompt = messages[-1]["content"]
        for evidence, stance in self.gold.items():
            if evidence in prompt:
                return {lab: (0.0 if lab == stance else -5.0) for lab in labels}
        return super().score_labels(messages, labels)


def _where(pipe) -> list[str]:
    """CLI flags pointing at the shared pipeline's seeds and (already built) index."""
    return ["--seeds", str(pipe.settings.seeds), "--data-dir", str(pipe.settings.data_dir)]


def _with(pipe, model):
    view = copy.copy(pipe)  # never leave another model on the shared pipeline
    view.set_model(model)
    return view


def _reordered(pipe):
    """The same pipeline with its articles listed in reverse order (shallow copy)."""
    view = copy.copy(pipe)
    arts = list(reversed(pipe.articles))
    view.articles = arts
    view.retriever = Retriever(arts, [p for a in arts for p in pipe.retriever.by_article.get(a.id, [])], pipe.index, pipe.embedder)
    view.evidence = EvidenceFinder(view.retriever, pipe.sentences, pipe.rules, words=pipe.evidence.words, related=pipe.evidence.related)
    return view


def test_rows_are_verbatim_evidence_numbered_by_article_id(stub_pipe):
    res = compare(_with(stub_pipe, StubModel()), TOPIC, CLAIM)
    assert res.claim == CLAIM and res.claim_source == "user"
    assert [r.article_id for r in res.rows] == sorted(a.id for a in stub_pipe.articles)
    assert all(r.stance in STANCES for r in res.rows)
    speaking = [r for r in res.rows if r.stance != NOT_ADDRESSED]
    assert len(speaking) >= 3, "most articles discuss export controls"
    for r in speaking:
        assert 1 <= len(r.quotes) and r.viewpoint == voiced(next(q for q in r.quotes if q.role == "key"))  # with whose words
        art = stub_pipe.article(r.article_id)
        for q in r.quotes:
            assert verify_quote(art.text, q.text, q.start, q.end)
            assert stub_pipe.retriever.passages[q.passage_id].article_id == r.article_id
    cites = [q.citation for r in res.rows for q in r.quotes]
    assert sorted(set(cites)) == list(range(1, len(set(cites)) + 1))


def test_a_model_that_fails_calibration_judges_nothing_and_writes_no_claim(stub_pipe):
    model = StubModel()
    res = compare(_with(stub_pipe, model), TOPIC)
    assert res.labels == NOT_JUDGED and res.calibration["passed"] is False
    assert res.claim == "" and res.claim_source == "none"
    assert {r.stance for r in res.rows} <= {NOT_JUDGED, NOT_ADDRESSED}
    assert all(r.confidence is None for r in res.rows)
    assert "did not beat always answering the most common label" in res.disclaimer
    text = table(res) + to_markdown(res) + to_csv(res)
    for label in LABELS:
        assert f"stance: {label}" not in text and f"| {label} |" not in text and f",{label}," not in text
    assert not any(h.get("schema") for h in model.history[-5:])  # no claim, no labels: only calibration calls


def test_a_model_that_passes_calibration_gets_labels(stub_pipe):
    res = compare(_with(stub_pipe, GoldStub()), TOPIC, CLAIM)
    assert res.labels == "judged" and res.calibration["passed"] is True
    assert res.calibration["accuracy"] >= res.calibration["majority"] + calibration.MARGIN
    speaking = [r for r in res.rows if r.stance != NOT_ADDRESSED]
    assert speaking and all(r.stance in LABELS for r in speaking)
    assert all(r.confidence is None for r in res.rows)  # never a softmax shown as a confidence
    assert "passed the stance calibration" in res.disclaimer


def test_forced_labels_are_marked_unreliable(stub_pipe):
    res = compare(_with(stub_pipe, StubModel()), TOPIC, CLAIM, labels="force")
    assert res.labels == "forced" and "unreliable" in res.disclaimer
    assert all("unreliable" in r.method for r in res.rows if r.stance in LABELS)


def test_calibration_is_cached_per_model(stub_pipe, tmp_path):
    model = StubModel()
    titles = {a.id: a.title for a in stub_pipe.articles}
    first = calibration.calibrate(model, "logprob", titles, tmp_path)
    calls = len(model.history)
    again = calibration.calibrate(model, "logprob", titles, tmp_path)
    assert again == first and len(model.history) == calls  # read from <data dir>/calibration.json
    assert json.loads((tmp_path / "calibration.json").read_text())


def test_silent_rows_never_reach_the_model(stub_pipe):
    model = GoldStub()
    res = compare(_with(stub_pipe, model), "poetry in the style of Du Fu", "DeepSeek writes good poetry")
    silent = [r for r in res.rows if r.stance == NOT_ADDRESSED]
    assert len(silent) >= 2, "only the article about teachers using DeepSeek mentions Du Fu"
    prompts_seen = "\n".join(m["content"] for h in model.history for m in h["messages"])
    for r in silent:
        assert r.method == "relevance" and r.quotes == [] and r.confidence is None
        assert f'"{r.title}"' not in prompts_seen  # the article's name never appeared in any prompt
    assert "not address" in res.contrast["text"]


@pytest.mark.parametrize("gold", [json.loads(x) for x in (EVAL_DIR / "topic_gold.jsonl").read_text().splitlines() if x.strip()],
                         ids=lambda g: g["topic"])
def test_every_article_that_discusses_a_topic_is_marked_as_addressing_it(stub_pipe, gold):
    res = compare(_with(stub_pipe, StubModel()), gold["topic"], labels="off")
    status = {r.article_id: r.stance for r in res.rows}
    assert [a for a in gold["articles"] if status[a] == NOT_ADDRESSED] == []


def test_suggested_topics_all_have_gold():
    gold = {json.loads(x)["topic"] for x in (EVAL_DIR / "topic_gold.jsonl").read_text().splitlines() if x.strip()}
    from app.answer.topics import key_phrases  # noqa: F401  (the suggestions below come from it)
    suggested = {"artificial intelligence", "science and technology", "success of deepseek", "computing power",
                 "liang wenfeng", "united states", "chinese government", "education system"}
    assert suggested <= gold


def test_article_order_does_not_change_the_result(stub_pipe):
    a = compare(_with(stub_pipe, GoldStub()), TOPIC, CLAIM, summary=True)
    view = _reordered(stub_pipe)
    assert [x.id for x in view.retriever.articles] != [x.id for x in stub_pipe.retriever.articles]
    b = compare(_with(view, GoldStub()), TOPIC, CLAIM, summary=True)
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "timing"}  # noqa: E731
    assert strip(a) == strip(b)


def test_contrast_is_computed_from_labels_and_order_free():
    rows = [CompareRow(f"00{i}", f"T{i}", f"A{i}", s, "", []) for i, s in enumerate(["supports", "opposes", "supports", NOT_ADDRESSED, "mixed"])]
    c = contrast(rows)
    assert c == contrast(list(reversed(rows)))
    assert c["agree"] == ["«A0» and «A2» both support the claim."]
    assert c["differ"] == ["«A0» and «A2»: supports; «A1»: opposes; «A4»: mixed."]
    assert c["silent"] == ["«A3» does not address it."]
    assert c["counts"] == {"supports": 2, "opposes": 1, "mixed": 1, NOT_JUDGED: 0, NOT_ADDRESSED: 1}


def test_unjudged_contrast_counts_only_the_rows_that_discuss_the_topic():
    """"5 of 5 articles discuss this" counted rows marked "may not address it" (session 14)."""
    statuses = ["addresses", "mentions", "addresses", "silent", "mentions"]
    rows = [CompareRow(f"00{i}", f"T{i}", f"A{i}", NOT_ADDRESSED if st == "silent" else NOT_JUDGED, "", [], status=st) for i, st in enumerate(statuses)]
    assert contrast(rows)["text"] == ("2 of 5 articles discuss this: «A0» and «A2». «A1» and «A4» may not (closest sentences shown). "
                                      "Read their own sentences side by side. «A3» does not address it.")


def test_claim_from_model_or_template():
    assert usable_claim("Claim: US export controls slow down Chinese AI labs.\nMore text", TOPIC) == "US export controls slow down Chinese AI labs."
    assert usable_claim("The passages do not answer this.", TOPIC) is None  # off topic
    assert usable_claim("export", TOPIC) is None  # too short
    assert template_claim("US export controls?") == "The article views US export controls favourably."


def test_schema_reply_parsing_tolerates_truncation():
    assert parse_schema_reply('{"viewpoint": "It says no.", "stance": "opposes"}') == ("opposes", "It says no.")
    assert parse_schema_reply('{"viewpoint": "It says') == (None, "It says")
    assert judge_cues("DeepSeek is original", "[1] DeepSeek is not original at all.").stance == "opposes"


def test_table_json_csv_markdown(stub_pipe):
    res = compare(_with(stub_pipe, GoldStub()), TOPIC, CLAIM)
    text = table(res, width=100)
    assert f"Claim (user): {CLAIM}" in text and "Contrast" in text
    q = next(q for r in res.rows for q in r.quotes)
    assert f"[{q.citation}]" in text
    data = json.loads(json.dumps(res.to_dict()))
    row = next(r for r in data["rows"] if r["quotes"])
    assert {"passage_id", "start", "end", "citation", "text"} <= set(row["quotes"][0])
    assert set(row["source"]) == {"outlet", "author", "date", "url"}
    rows = list(csv.DictReader(io.StringIO(to_csv([res]))))
    assert len(rows) == len(stub_pipe.articles) and {r["stance"] for r in rows} <= set(STANCES)
    assert {"outlet", "date", "status", "labels"} <= set(rows[0])
    md = to_markdown(res)
    assert md.startswith(f"## {TOPIC}") and "| Article | Source | Stance |" in md and q.text.replace("|", "\\|") in md


def test_cli_compare_table_and_files(stub_pipe, tmp_path):
    out_csv, out_md, out_png = tmp_path / "c.csv", tmp_path / "c.md", tmp_path / "c.png"
    args = ["compare", TOPIC, "--claim", CLAIM, "--model", "stub", *_where(stub_pipe),
            "--csv", str(out_csv), "--md", str(out_md), "--plot", str(out_png)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert f"Claim (user): {CLAIM}" in r.output and "stance: not judged" in r.output and "Contrast" in r.output
    assert "Stance not judged" in r.output
    assert out_csv.read_text(encoding="utf-8").startswith("topic,claim,article_id")
    assert "**Claim** (user)" in out_md.read_text(encoding="utf-8")
    assert out_png.read_bytes()[:8] == PNG_MAGIC


def test_cli_compare_json_carries_offsets(stub_pipe):
    r = CliRunner().invoke(cli, ["compare", TOPIC, "--claim", CLAIM, "--json", "--model", "stub", *_where(stub_pipe)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    quotes = [q for row in data["rows"] for q in row["quotes"]]
    assert quotes and all({"passage_id", "start", "end", "citation"} <= set(q) for q in quotes)
    assert data["labels"] == NOT_JUDGED


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
    res = compare(_with(stub_pipe, real_model), "is DeepSeek original innovation?", "DeepSeek is a genuine breakthrough in original innovation")
    assert res.calibration["passed"] is False and res.labels == NOT_JUDGED  # the 135M model is too small to judge stance
    assert {r.stance for r in res.rows} <= {NOT_JUDGED, NOT_ADDRESSED}
    speaking = [r for r in res.rows if r.stance != NOT_ADDRESSED]
    assert speaking and all(r.confidence is None for r in res.rows)
    for r in speaking:
        art = stub_pipe.article(r.article_id)
        assert r.viewpoint and all(verify_quote(art.text, q.text, q.start, q.end) for q in r.quotes)
    assert res.model.endswith(".gguf") and "Claim (user)" in table(res)


def test_unsure_rows_say_may_not_address_it_in_the_terminal_markdown_and_web(stub_pipe):
    """Compare said "only touches on it" after ask had learnt to say "may not address it", and the web matrix said nothing."""
    from app.render.compare import table, to_markdown
    from app.ui.html import matrix_html
    res = compare(stub_pipe, "export controls")
    unsure = [r for r in res.rows if r.status == "mentions"]
    assert unsure, "the seeds give unsure rows on this topic"
    assert table(res).count("(may not address it: closest sentences)") == len(unsure)
    assert to_markdown(res).count("(may not address it)") == len(unsure)
    assert "only touches" not in table(res) + to_markdown(res)
    rows = [asdict(r) for r in res.rows]  # as the web tab passes them
    assert matrix_html(rows, {}).count(">may not address it</span>") == len(unsure)


def _tram_article(folder, name: str, title: str, outlet: str, day: int, body: str) -> None:
    (folder / f"{name}.md").write_text(f"---\ntitle: {title}\noutlet: {outlet}\ndate: '2023-03-0{day}'\n---\n{body}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def tram(tmp_path_factory):
    """A small made-up corpus: every article names the tram; two are about its fares, the
    others about a depot fire, a new stop, a driver's rescue, and a student discount whose
    title alone names the fares."""
    folder = tmp_path_factory.mktemp("tram")
    _tram_article(folder, "fares-rise", "Tram fares to rise by a fifth", "Harbour Post", 1,
                  "The Lakeford tram will charge more from April. A single ticket on the Lakeford tram will cost 2.40 euros, up from "
                  "2.00, the transport board said on Monday.\n\nCommuters said the higher fares would hurt families who use the tram "
                  "every day. The board said ticket income no longer covers the cost of running the line.")
    _tram_article(folder, "fares-fair", "Why the new tram fares are fair", "Valley Courier", 2,
                  "Lakeford's tram riders have paid too little for too long. The new fares still leave a monthly ticket cheaper than "
                  "parking in the centre.\n\nFares on the Lakeford tram have not changed in nine years, while wages and energy bills rose. "
                  "Asking riders to pay 40 cents more for a ticket is a fair price for a reliable service.")
    _tram_article(folder, "depot-fire", "Fire damages tram depot", "Harbour Post", 3,
                  "A fire broke out overnight in the Lakeford tram depot, damaging two carriages and a workshop roof.\n\nFirefighters "
                  "from three stations fought the blaze for four hours. Nobody was hurt, and investigators are looking at an electrical "
                  "fault in the workshop.")
    _tram_article(folder, "new-stop", "Tram line gets a stop at the hospital", "Valley Courier", 4,
                  "The Lakeford tram will stop at the regional hospital from the summer, after builders finished the new platform this "
                  "week.\n\nThe platform has a lift and a covered waiting area. Hospital staff and patients had asked for a stop for years, "
                  "and the council approved the plans in 2021.")
    _tram_article(folder, "driver-award", "Driver honoured for rescue", "Lakeford Daily", 5,
                  "A Lakeford driver who stopped her carriage to help a man who had collapsed on the platform was honoured by the mayor "
                  "on Friday.\n\nPassengers said the driver gave first aid until an ambulance arrived. The man has since recovered in "
                  "hospital, and thanked the crew in a letter to the newspaper.")
    _tram_article(folder, "students", "Students keep cheap tram fares", "Lakeford Daily", 6,
                  "The council agreed on Tuesday that students will keep their discount on the Lakeford tram.\n\nThe decision follows "
                  "a long campaign by the student union, which collected four thousand signatures.")
    return folder


def test_a_row_that_never_approaches_the_topic_says_it_does_not_address_it(tram, make_pipe, tmp_path):
    """Compare hedged every such row ("may not address it"): the tram's name carried its score.
    The depot fire never mentions a ticket, a fare or a price, and scores well behind."""
    res = compare(make_pipe(tram, data_dir=tmp_path / "tram-data"), "the price of a tram ticket", labels="off")
    rows = {r.article_id: r for r in res.rows}
    fire = rows["depot-fire"]
    assert (fire.stance, fire.viewpoint, fire.quotes) == (NOT_ADDRESSED, "Does not address this topic.", [])
    assert "«Fire damages tram depot» (Harbour Post, 3 Mar 2023)" in res.contrast["silent"][0]  # "… do not address it."
    for on_topic in ("fares-rise", "fares-fair"):
        assert rows[on_topic].stance != NOT_ADDRESSED and rows[on_topic].quotes


def test_a_row_whose_title_or_text_uses_the_topics_own_word_is_never_flatly_not_addressed(tram, make_pipe, tmp_path):
    """Even when the share rule would allow it for every row, an article that names the topic's
    distinctive word (the students' article in its title only) is at worst "may not address it"."""
    pipe = make_pipe(tram, data_dir=tmp_path / "tram-data")
    pipe.rules = pipe.rules.with_(topic_absent_share=1.01)
    pipe.evidence = EvidenceFinder(pipe.retriever, pipe.sentences, pipe.rules, words=pipe.evidence.words, related=pipe.evidence.related)
    rows = {r.article_id: r for r in compare(pipe, "tram fares", labels="off").rows}
    assert all(rows[a].stance != NOT_ADDRESSED for a in ("fares-rise", "fares-fair", "students"))
    assert rows["depot-fire"].stance == rows["new-stop"].stance == NOT_ADDRESSED
