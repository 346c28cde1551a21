"""The dev eval itself, run as a test: what it promises about every answer on the dev set.

Over all dev questions: no model sentence is shown that fails the support check, no answer is
cut mid-sentence, every [n] is a listed source and every quote is verbatim. With the stub
(fast, every run) and with the bundled model (the real path: its sentences are the ones that
need checking).
"""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace

import pytest

from app.answer.results import AskResult, Evidence, Perspective
from app.eval.answers import evaluate, find_sentence, key_scores, load_key_gold, load_questions


def _assert_promises(figures: dict) -> None:
    for split, m in figures.items():
        assert m["unsupported_shown"] == 0, split
        assert m["cut_mid_sentence"] == 0, split
        assert m["citation_validity"] == 1.0 and m["quote_validity"] == 1.0, split


def test_eval_promises_hold_with_the_stub(stub_pipe):
    figures = evaluate(stub_pipe, load_questions())
    _assert_promises(figures)
    assert figures["dev"]["generated_shown"] > 0  # the stub's restatements pass, so the check is exercised


@pytest.mark.real_model
def test_eval_promises_hold_with_the_bundled_model(stub_pipe, real_model):
    view = copy.copy(stub_pipe)
    view.set_model(real_model)
    figures = evaluate(view, [q for q in load_questions() if q["split"] == "dev"])
    _assert_promises(figures)
    assert figures["dev"]["dropped"] > 0  # the tiny model's unsupported sentences were caught, not shown


# -- the answer-sentence figures (tests/eval/key_gold.jsonl) --------------------------------

def _answer_with(quote_text: str, start: int, lead_quote: str, generated: str = ""):
    quote = Evidence(quote_text, start, start + len(quote_text), "a:0", 1, "key", 0.9)
    card = Perspective("a", "A", "A", "addresses", 0.9, "", [quote], [1])
    answer = f"1 of 1 articles address this: «A» [1]. Most direct: «A»: “{lead_quote}” [1]" + (f" {generated}" if generated else "")
    res = AskResult("Why was it closed?", "view", answer, [1], [card], [], "stub", answer_generated=[generated] if generated else [])
    return res, {"a": SimpleNamespace(text=ARTICLE)}


ARTICLE = "The harbour is old. It was closed because the storm cracked it. Boats still come."


def test_a_card_counts_when_its_quote_overlaps_the_articles_answer_sentence():
    gold = {"a": ["It was closed because the storm cracked it."]}
    res, articles = _answer_with("It was closed because the storm cracked it.", 20, "It was closed because the storm cracked it.")
    assert key_scores(res, gold, articles) == {"answer_cards": 1, "answer_cards_quoted": 1, "direct_answers": 1, "direct_answers_quoted": 1}
    res, articles = _answer_with("The harbour is old.", 0, "The harbour is old.")
    assert key_scores(res, gold, articles)["answer_cards_quoted"] == 0


def test_a_model_sentence_after_the_most_direct_line_does_not_count_as_it():
    gold = {"a": ["It was closed because the storm cracked it."]}
    res, articles = _answer_with("It was closed because the storm cracked it.", 20, "The harbour is old.",
                                 generated="It was closed because the storm cracked it. [1]")
    assert key_scores(res, gold, articles)["direct_answers_quoted"] == 0


def test_every_answer_sentence_of_the_gold_is_in_its_article(stub_pipe):
    text = {a.id: a.text for a in stub_pipe.articles}
    missing = [(q, a, s) for q, per in load_key_gold().items() for a, sents in per.items() for s in sents if find_sentence(text[a], s) < 0]
    assert len(missing) <= 1, missing  # q38/004 quotes the article's title, which is not body text


# -- the stance eval (python -m app.eval.stance) --------------------------------------------

def test_the_stance_eval_scores_every_gold_label_with_forced_labels(stub_pipe):
    """It broke silently once (it passed options compare() no longer takes): run it for real."""
    from app.eval.stance import evaluate as evaluate_stance, load_gold

    gold = load_gold()
    figures = evaluate_stance(stub_pipe, gold, "schema")
    assert figures["n"] == sum(len(v) for v in gold.values())  # every gold article got a row
    assert figures["evidence_valid"] == 1.0 and figures["quotes"] > 0
    judged = sum(n for label, n in figures["predicted"].items() if label != "not addressed")
    assert judged > 0  # forced: the stub's labels are measured although it fails calibration


# -- the coverage line, rule changes and leave-one-corpus-out (app/eval/run.py) --------------

from app.eval.answers import coverage_line  # noqa: E402
from app.eval.run import loco, objective  # noqa: E402
from app.rules import RULES  # noqa: E402
from app.errors import InputError  # noqa: E402


def test_the_coverage_line_is_exact_only_when_it_counts_every_addressing_article_and_no_silent_one():
    gold_addressing, gold_silent = ["a", "b"], ["c"]
    assert coverage_line({"a": "addresses", "b": "addresses", "c": "silent", "d": "addresses"}, gold_addressing, gold_silent) == \
        {"coverage_exact": 1, "coverage_right_or_hedged": 1}  # d is unjudged: it counts neither way
    assert coverage_line({"a": "addresses", "b": "mentions", "c": "mentions"}, gold_addressing, gold_silent) == \
        {"coverage_exact": 0, "coverage_right_or_hedged": 1}  # b hedged, c hedged: no claim is wrong
    assert coverage_line({"a": "addresses", "b": "silent", "c": "silent"}, gold_addressing, gold_silent)["coverage_right_or_hedged"] == 0
    assert coverage_line({"a": "addresses", "b": "addresses", "c": "addresses"}, gold_addressing, gold_silent) == \
        {"coverage_exact": 0, "coverage_right_or_hedged": 0}


def test_a_rule_is_changed_by_name_and_a_wrong_name_or_value_says_what_to_write():
    assert RULES.with_text(["silence_floor=0.35", "passage_lift=0.1,0.05"]).silence_floor == 0.35
    assert RULES.with_text(["passage_lift=0.1,0.05"]).passage_lift == (0.1, 0.05)
    with pytest.raises(InputError, match="Unknown rule 'silence=1'.*silence_floor"):
        RULES.with_text(["silence=1"])
    with pytest.raises(InputError, match="silence_floor"):
        RULES.with_text(["silence_floor=7"])  # beyond its declared bound


def _rows(caught: int, silent: int = 10):
    ask = [{"fact": False, "view": False, "silent_gold": silent, "silent_caught": caught, "silent_flat": 0, "addressing_gold": 10,
            "addressing_shown": 10, "wrongly_silenced": 0, "silent_as_addressing": silent - caught, "addressing_as_unsure": 0,
            "coverage_exact": 0, "coverage_right_or_hedged": 0, "generated": 0, "dropped": 0, "unsupported_shown": 0, "cut": False,
            "cites": 0, "cites_valid": 0, "quotes": 0, "quotes_valid": 0, "answer_cards": 0, "answer_cards_quoted": 0,
            "direct_answers": 0, "direct_answers_quoted": 0, "seconds": 0.0}]
    return ask, []


def test_leave_one_corpus_out_reports_each_corpus_under_the_variant_chosen_on_the_others():
    # variant "x" is best on a and b, "y" only on c: c is reported under x, its own best never chosen for it
    results = {"x": {"a": _rows(9), "b": _rows(9), "c": _rows(1)}, "y": {"a": _rows(2), "b": _rows(2), "c": _rows(10)}}
    held = loco(results, objective)
    assert held["c"]["chosen"] == "x" and held["c"]["silent_caught"] == 0.1
    assert held["a"]["chosen"] == "y" and held["a"]["silent_caught"] == 0.2  # b and c pooled: x 10 of 20 caught, y 12 of 20


def test_the_eval_runs_a_corpus_with_a_changed_rule_in_one_command(tmp_path):
    """`--rule silence_floor=1` silences every article: the figures a sweep reads change with it."""
    from click.testing import CliRunner

    from app.eval.run import main

    corpus = tmp_path / "harbour"
    corpus.mkdir()
    (corpus / "a.md").write_text("The harbour lighthouse was closed in May because storms cracked its tower. "
                                 "Repairs will cost the town two million euros.", encoding="utf-8")
    (corpus / "b.md").write_text("The fish market opened a new hall for traders. Stalls sell cod and herring every morning.", encoding="utf-8")
    (corpus / "gold.jsonl").write_text(json.dumps({"id": "h1", "question": "Why was the lighthouse closed?", "kind": "view",
                                                   "articles": ["a"], "silent": ["b"], "split": "dev"}) + "\n", encoding="utf-8")
    runner = CliRunner()
    declared = runner.invoke(main, ["--model", "stub", "--corpus", str(corpus), "--data-dir", str(tmp_path / "d"), "--json", str(tmp_path / "1.json")])
    changed = runner.invoke(main, ["--model", "stub", "--corpus", str(corpus), "--data-dir", str(tmp_path / "d"), "--json", str(tmp_path / "2.json"),
                                   "--rule", "silence_floor=1"])
    assert declared.exit_code == 0 and changed.exit_code == 0, declared.output + changed.output
    before = json.loads((tmp_path / "1.json").read_text())["models"]["stub"]["variants"]["declared"]["figures"]["harbour"]
    after = json.loads((tmp_path / "2.json").read_text())["models"]["stub"]["variants"]["declared"]["figures"]["harbour"]
    assert before["addressing_flat_silent"] == 0.0 and after["addressing_flat_silent"] == 1.0
    assert "| harbour |" in changed.output
