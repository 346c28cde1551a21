"""Batch files with the stub model: the three input formats, the report, resume, bad input,
unwritable outputs, compare batches, and a run killed with SIGKILL that loses nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.answer.results import Evidence
from app.answer.voice import voiced
from app.batch.readers import Problem, question_id, read_items
from app.batch.run import AnswerLog
from app.cli.main import cli
from app.errors import InputError

PROJECT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Did the Chinese government deserve credit for DeepSeek's success?",
    "What do the articles say about US export controls?",
    "Is DeepSeek a breakthrough in original innovation?",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Seeds and an index shared by this module's CLI runs (built on first use)."""
    root = tmp_path_factory.mktemp("batch")
    shutil.copytree(PROJECT / "seeds", root / "seeds")
    return {"seeds": root / "seeds", "data": root / "data"}


@pytest.fixture
def run(corpus):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, ["batch", *map(str, args), "--seeds", str(corpus["seeds"]), "--data-dir", str(corpus["data"]),
                                   "--model", "stub", "--no-progress"])

    return invoke


def lines(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


# ---------------------------------------------------------------- reading input files


def test_txt_ignores_comments_and_blanks(tmp_path):
    f = tmp_path / "q.txt"
    f.write_text(f"# my questions\n\n{QUESTIONS[0]}\n   \n  # indented comment\n{QUESTIONS[1]}\r\n", encoding="utf-8")
    items, problems = read_items(f)
    assert problems == []
    assert [(it.text, it.line) for it in items] == [(QUESTIONS[0], 3), (QUESTIONS[1], 6)]
    assert items[0].id == question_id(QUESTIONS[0])


def test_default_id_is_a_stable_hash_of_the_normalised_text():
    assert question_id("Who  founded\tDeepSeek?") == question_id("who founded deepseek?") == "q-" + question_id("Who founded DeepSeek?")[2:]
    assert question_id("Who founded DeepSeek?") != question_id("Who funded DeepSeek?")
    assert question_id("x") == "q-2d711642b726"  # fixed across runs and machines (sha256 of "x")


def test_jsonl_reads_ids_and_ignores_extra_keys(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"id": "a", "question": "First?", "needs": "x"}\n\n{"question": "Second?"}\n{"id": 7, "question": "Third?"}\n', encoding="utf-8")
    items, problems = read_items(f)
    assert problems == []
    assert [(it.id, it.text, it.line) for it in items] == [("a", "First?", 1), (question_id("Second?"), "Second?", 3), ("7", "Third?", 4)]


def test_csv_question_column_any_case_optional_id_and_multiline_cells(tmp_path):
    f = tmp_path / "q.csv"
    f.write_text('ID,Question,notes\nx1,"First, with a comma?",n\n,"A question\nover two lines?",\nx3,Third?,\n', encoding="utf-8")
    items, problems = read_items(f)
    assert problems == []
    assert [(it.id, it.text, it.line) for it in items] == [
        ("x1", "First, with a comma?", 2), (question_id("A question over two lines?"), "A question over two lines?", 3), ("x3", "Third?", 5)]


def test_compare_mode_reads_topic_and_claim(tmp_path):
    f = tmp_path / "t.jsonl"
    f.write_text('{"topic": "US export controls", "claim": "Export controls work"}\n{"question": "China\'s education system"}\n', encoding="utf-8")
    items, problems = read_items(f, field="topic")
    assert problems == []
    assert [(it.text, it.claim) for it in items] == [("US export controls", "Export controls work"), ("China's education system", None)]


BAD_INPUTS = {
    "malformed jsonl line": ("q.jsonl", b'{"question": "Good one?"}\n{"question": "broken\n{"question": "Good two?"}\n',
                             ["q.jsonl:2: not valid JSON"], 2),
    "jsonl without question": ("q.jsonl", b'{"id": "a", "q": "x"}\n{"question": "Good?"}\n', ['q.jsonl:1: no "question" key (keys found: id, q)'], 1),
    "jsonl not an object": ("q.jsonl", b'["a list"]\n{"question": "Good?"}\n', ["q.jsonl:1: expected a JSON object"], 1),
    "csv without question column": ("q.csv", b"id,text\n1,What?\n", ['q.csv:1: no "question" column in the header (columns found: id, text)'], 0),
    "empty question (jsonl)": ("q.jsonl", b'{"question": "Good?"}\n{"id": "e", "question": "   "}\n', ["q.jsonl:2: empty question"], 1),
    "empty question (csv)": ("q.csv", b"id,question\na,Good?\nb,\n", ["q.csv:3: empty question"], 1),
    "invisible question (txt)": ("q.txt", "Good?\n\u200b\u200b\n".encode(), ["q.txt:2: empty question"], 1),
    "duplicate id": ("q.jsonl", b'{"id": "a", "question": "One?"}\n{"id": "b", "question": "Two?"}\n{"id": "a", "question": "Three?"}\n',
                     ['q.jsonl:3: duplicate id "a" (first used on line 1)'], 2),
    "repeated question": ("q.txt", b"Who founded DeepSeek?\nOther?\nwho founded  DeepSeek?\n", ["q.txt:3: the same question as line 1"], 2),
    "non-utf8 line": ("q.txt", b"Good one?\nCaf\xe9 au lait?\nGood two?\n", ["q.txt:2: not valid UTF-8 (byte 0xe9 at column 4)"], 2),
    "non-utf8 csv row": ("q.csv", b"question\nGood?\n\xff\xfe?\n", ["q.csv:3: not valid UTF-8"], 1),
    "utf-16 file": ("q.txt", "Good?\n".encode("utf-16"), ["q.txt: the file is UTF-16; save it as UTF-8"], 0),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_reported_with_file_and_line(tmp_path, name):
    fname, data, messages, n_valid = BAD_INPUTS[name]
    f = tmp_path / fname
    f.write_bytes(data)
    items, problems = read_items(f)
    shown = [str(p).replace(str(tmp_path) + os.sep, "") for p in problems]
    assert len(shown) == len(messages), shown
    for msg, got in zip(messages, shown):
        assert got.startswith(msg), got
    assert len(items) == n_valid


def test_utf8_bom_is_accepted(tmp_path):
    f = tmp_path / "q.csv"
    f.write_bytes("\ufeffquestion\nGood?\n".encode())
    assert [it.text for it in read_items(f)[0]] == ["Good?"]


@pytest.mark.parametrize("name,error", [("q.docx", "must end in .txt"), ("missing.txt", "not found")])
def test_unreadable_input_file(tmp_path, name, error):
    if name.endswith(".docx"):
        (tmp_path / name).write_text("x")
    with pytest.raises(InputError, match=error):
        read_items(tmp_path / name)


# ---------------------------------------------------------------- running: formats, report, resume


@pytest.mark.parametrize("fmt", ["txt", "jsonl", "csv"])
def test_batch_answers_every_format(run, tmp_path, stub_pipe, fmt):
    src = tmp_path / f"questions.{fmt}"
    if fmt == "txt":
        src.write_text("# three questions\n" + "\n".join(QUESTIONS) + "\n", encoding="utf-8")
    elif fmt == "jsonl":
        src.write_text("".join(json.dumps({"id": f"q{i}", "question": q}) + "\n" for i, q in enumerate(QUESTIONS)), encoding="utf-8")
    else:
        src.write_text("id,question\n" + "".join(f'q{i},"{q}"\n' for i, q in enumerate(QUESTIONS)), encoding="utf-8")
    out = tmp_path / "answers.jsonl"
    r = run(src, "-o", out)
    assert r.exit_code == 0, r.output
    recs = lines(out)
    assert [rec["question"] for rec in recs] == QUESTIONS
    expected_ids = [question_id(q) for q in QUESTIONS] if fmt == "txt" else ["q0", "q1", "q2"]
    assert [rec["id"] for rec in recs] == expected_ids
    for rec in recs:  # the `ask --json` object, plus id and timing
        assert set(rec) >= {"id", "question", "answer", "perspectives", "passages", "citations", "model", "timing"}
        assert {"wall_s", "total_s", "model_s", "prompt_tokens", "completion_tokens"} <= set(rec["timing"])
        assert len(rec["perspectives"]) == len(stub_pipe.articles)
    assert "Answered 3, failed 0, skipped 0" in r.output
    assert (tmp_path / "answers.md").is_file()  # the default report sits beside the output


def test_batch_output_matches_ask_json(run, corpus, tmp_path):
    src = tmp_path / "q.txt"
    src.write_text(QUESTIONS[0] + "\n", encoding="utf-8")
    out = tmp_path / "a.jsonl"
    assert run(src, "-o", out).exit_code == 0
    (rec,) = lines(out)
    asked = CliRunner().invoke(cli, ["ask", QUESTIONS[0], "--json", "--seeds", str(corpus["seeds"]), "--data-dir", str(corpus["data"]), "--model", "stub"])
    single = json.loads(asked.stdout)
    strip = lambda d: {k: v for k, v in d.items() if k not in ("id", "timing")}  # noqa: E731
    assert strip(rec) == strip(single)


def test_report_is_readable_markdown(run, tmp_path, stub_pipe):
    src = tmp_path / "q.jsonl"
    src.write_text("".join(json.dumps({"id": f"q{i}", "question": q}) + "\n" for i, q in enumerate(QUESTIONS))
                   + '{"id": "bad", "question": ""}\n', encoding="utf-8")
    out, report = tmp_path / "a.jsonl", tmp_path / "reports" / "answers report.md"
    r = run(src, "-o", out, "--report", report)
    assert r.exit_code == 1  # one unusable line
    md = report.read_text(encoding="utf-8")
    assert md.startswith("# Perspectives batch report: q.jsonl\n")
    assert "Answered 3, failed 0, skipped 0 (already done), input problems 1 of 4" in md
    assert "## Not answered" in md and "q.jsonl:4: empty question" in md
    recs = lines(out)
    for i, rec in enumerate(recs):
        assert f"{i + 1}. [{rec['question']}](#item-q{i})" in md  # table of contents
        assert f'<a id="item-q{i}"></a>\n\n## {rec["question"]}\n\n*id `q{i}` · input line {i + 1}' in md
        section = md.split(f"## {rec['question']}\n")[1].split('<a id="')[0]
        assert rec["answer"] in section
        assert "### What each article says" in section and "### Sources" in section
        for p in rec["perspectives"]:
            if p["status"] == "silent":  # named once, in the line of articles read that do not address it
                assert f"*{p['title']}*" in section.split("- Read, and do not address this: ", 1)[1].split("\n")[0]
                assert f"- **{p['title']}**" not in section
                continue
            assert f"- **{p['title']}**" in section
            for q in p["quotes"]:
                assert f"  - {voiced(Evidence(**q))} [{q['citation']}]" in section  # whose words, as on the cards
        for p in rec["passages"]:
            assert f"{p['citation']}. *{p['title']}*" in section


def test_resume_skips_done_questions_and_report_covers_all(run, tmp_path):
    src = tmp_path / "q.txt"
    src.write_text(QUESTIONS[0] + "\n", encoding="utf-8")
    out = tmp_path / "a.jsonl"
    assert run(src, "-o", out).exit_code == 0
    first = out.read_bytes()
    src.write_text("\n".join(QUESTIONS) + "\n", encoding="utf-8")
    r = run(src, "-o", out)
    assert r.exit_code == 0, r.output
    assert "Answered 2, failed 0, skipped 1 (already done)" in r.output
    assert out.read_bytes().startswith(first)  # appended, never rewritten
    recs = lines(out)
    assert [rec["question"] for rec in recs] == QUESTIONS
    md = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert all(f"## {q}\n" in md for q in QUESTIONS)
    r = run(src, "-o", out)  # a third run has nothing left to do
    assert r.exit_code == 0 and "Nothing to run: all 3 are already in" in r.output
    assert len(lines(out)) == 3


def test_a_failing_question_is_counted_and_retried_on_rerun(run, tmp_path, monkeypatch):
    import app.answer.ask as perspectives

    real_ask = perspectives.ask

    def flaky(pipe, question, **kw):
        if question == QUESTIONS[1]:
            raise RuntimeError("model crashed")
        return real_ask(pipe, question, **kw)

    monkeypatch.setattr(perspectives, "ask", flaky)
    src, out = tmp_path / "q.txt", tmp_path / "a.jsonl"
    src.write_text("\n".join(QUESTIONS) + "\n", encoding="utf-8")
    r = run(src, "-o", out)
    assert r.exit_code == 1
    assert "line 2 (" in r.output and "failed: internal error: RuntimeError: model crashed" in r.output
    assert "Answered 2, failed 1, skipped 0" in r.output
    assert [rec["question"] for rec in lines(out)] == [QUESTIONS[0], QUESTIONS[2]]
    assert "model crashed" in (tmp_path / "a.md").read_text(encoding="utf-8")
    monkeypatch.setattr(perspectives, "ask", real_ask)
    r = run(src, "-o", out)
    assert r.exit_code == 0 and "Answered 1, failed 0, skipped 2" in r.output
    assert sorted(rec["question"] for rec in lines(out)) == sorted(QUESTIONS)


def test_index_and_model_load_once_per_batch(run, tmp_path, monkeypatch):
    import app.pipeline as pipeline

    calls = {"build": 0, "model": 0}
    real_build, real_load = pipeline.build_pipeline, pipeline.load_model

    def build(*a, **kw):
        calls["build"] += 1
        return real_build(*a, **kw)

    def load(*a, **kw):
        calls["model"] += 1
        return real_load(*a, **kw)

    monkeypatch.setattr(pipeline, "build_pipeline", build)
    monkeypatch.setattr(pipeline, "load_model", load)
    src = tmp_path / "q.txt"
    src.write_text("\n".join(QUESTIONS) + "\n", encoding="utf-8")
    assert run(src, "-o", tmp_path / "a.jsonl").exit_code == 0
    assert calls == {"build": 1, "model": 1}


# ---------------------------------------------------------------- the answers file itself


def test_torn_last_line_is_dropped_with_a_message(tmp_path):
    out = tmp_path / "a.jsonl"
    good = json.dumps({"id": "a", "question": "A?"}) + "\n" + json.dumps({"id": "b", "question": "B?"}) + "\n"
    out.write_text(good + '{"id": "c", "question": "C', encoding="utf-8")
    msgs = []
    with AnswerLog(out, notify=msgs.append) as log:
        assert set(log.done) == {"a", "b"}
    assert out.read_text(encoding="utf-8") == good
    assert len(msgs) == 1 and msgs[0].startswith(f"{out}:3: dropped an incomplete last line (")


def test_complete_last_record_missing_only_its_newline_is_kept(tmp_path):
    out = tmp_path / "a.jsonl"
    out.write_text(json.dumps({"id": "a", "question": "A?"}), encoding="utf-8")
    with AnswerLog(out) as log:
        assert set(log.done) == {"a"}
        log.append({"id": "b", "question": "B?"})
    assert [r["id"] for r in lines(out)] == ["a", "b"]


def test_a_second_run_on_the_same_output_is_refused(tmp_path):
    out = tmp_path / "a.jsonl"
    with AnswerLog(out):
        with pytest.raises(InputError, match="Another batch run is writing"):
            AnswerLog(out).open()


@pytest.mark.parametrize("case", ["parent is a file", "output is a folder", "output is the input", "report is the output"])
def test_unwritable_output_fails_before_any_work(run, tmp_path, monkeypatch, case):
    import app.pipeline as pipeline

    monkeypatch.setattr(pipeline, "build_pipeline", lambda *a, **kw: pytest.fail("work started"))
    src = tmp_path / "q.txt"
    src.write_text(QUESTIONS[0] + "\n", encoding="utf-8")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "afolder").mkdir()
    args, expected = {
        "parent is a file": (["-o", tmp_path / "afile" / "a.jsonl"], "Cannot write the output file"),
        "output is a folder": (["-o", tmp_path / "afolder"], "is a directory"),
        "output is the input": (["-o", src], "is the same file as the input file"),
        "report is the output": (["-o", tmp_path / "a.jsonl", "--report", tmp_path / "a.jsonl"], "is the same file as the output file"),
    }[case]
    r = run(src, *args)
    assert r.exit_code == 2, r.output
    assert "Error: " in r.output and expected in r.output


def test_mixing_answers_and_comparisons_in_one_file_is_refused(run, tmp_path):
    out = tmp_path / "a.jsonl"
    out.write_text(json.dumps({"id": "t", "topic": "x", "rows": []}) + "\n", encoding="utf-8")
    src = tmp_path / "q.txt"
    src.write_text(QUESTIONS[0] + "\n", encoding="utf-8")
    r = run(src, "-o", out)
    assert r.exit_code == 2 and "already holds topic comparisons" in r.output


# ---------------------------------------------------------------- compare batches


def test_compare_batch_writes_jsonl_report_and_combined_csv(run, tmp_path, stub_pipe):
    import csv

    src = tmp_path / "topics.csv"
    src.write_text("topic,claim\nUS export controls,\nthe Chinese state's role in DeepSeek's success,The Chinese government deserves credit for DeepSeek's success\n",
                   encoding="utf-8")
    out, table = tmp_path / "matrix.jsonl", tmp_path / "matrix.csv"
    r = run(src, "--compare", "-o", out, "--csv", table)
    assert r.exit_code == 0, r.output
    assert "Compared 2, failed 0, skipped 0" in r.output
    recs = lines(out)
    assert [rec["topic"] for rec in recs] == ["US export controls", "the Chinese state's role in DeepSeek's success"]
    assert recs[1]["claim"] == "The Chinese government deserves credit for DeepSeek's success"
    for rec in recs:
        assert rec["id"] == question_id(rec["topic"]) and "wall_s" in rec["timing"]
        assert len(rec["rows"]) == len(stub_pipe.articles)
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert len(rows) == 2 * len(stub_pipe.articles)
    assert {"topic", "claim", "article_id", "stance"} <= set(rows[0])
    assert {row["stance"] for row in rows} <= {"not judged", "not addressed"}  # the stub fails the stance calibration
    md = (tmp_path / "matrix.md").read_text(encoding="utf-8")
    for rec in recs:
        assert f"## {rec['topic']}" in md
        for row in rec["rows"]:
            assert row["title"] in md and row["stance"] in md
    r = run(src, "--compare", "-o", out, "--csv", table)  # resumable like questions
    assert r.exit_code == 0 and len(lines(out)) == 2


def test_compare_and_batch_compare_write_the_same_csv(run, corpus, tmp_path):
    """One CSV writer (app/render/compare.py to_csv) behind `compare --csv` and `batch --compare --csv`."""
    topic = "US export controls"
    single = tmp_path / "single.csv"
    r = CliRunner().invoke(cli, ["compare", topic, "--csv", str(single), "--seeds", str(corpus["seeds"]), "--data-dir", str(corpus["data"]),
                                 "--model", "stub"])
    assert r.exit_code == 0, r.output
    src, batched = tmp_path / "topics.txt", tmp_path / "batched.csv"
    src.write_text(f"{topic}\n", encoding="utf-8")
    r = run(src, "--compare", "-o", tmp_path / "m.jsonl", "--csv", batched)
    assert r.exit_code == 0, r.output
    header = single.read_text(encoding="utf-8").splitlines()[0]
    assert header == ("topic,claim,article_id,title,outlet,author,date,url,status,stance,labels,viewpoint,viewpoint_source,"
                      "quotes,voices,citations,passage_ids,offsets,method")
    assert batched.read_text(encoding="utf-8") == single.read_text(encoding="utf-8")  # same columns, same rows


def test_csv_needs_compare(run, tmp_path):
    src = tmp_path / "q.txt"
    src.write_text("x?\n")
    r = run(src, "-o", tmp_path / "a.jsonl", "--csv", tmp_path / "m.csv")
    assert r.exit_code == 2 and "--csv writes the combined stance table of a --compare batch" in r.output


# ---------------------------------------------------------------- nothing lost under SIGKILL


def test_sigkill_mid_run_loses_nothing_and_rerun_has_no_duplicates(corpus, tmp_path):
    questions = [f"Question {i}: what do the articles say about DeepSeek and {topic}?"
                 for i, topic in enumerate(["export controls", "talent", "the state", "innovation", "education", "chips"] * 3)]
    src, out = tmp_path / "many.txt", tmp_path / "answers.jsonl"
    src.write_text("\n".join(questions) + "\n", encoding="utf-8")
    env = {**os.environ, "PERSPECTIVES_DATA_DIR": str(corpus["data"]), "PERSPECTIVES_SEEDS": str(corpus["seeds"]),
           "PERSPECTIVES_MODEL": "stub", "PERSPECTIVES_STUB_DELAY": "0.05"}
    cmd = [sys.executable, "-m", "app.cli.main", "batch", str(src), "-o", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the batch finished before it could be killed: " + proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    done_before = lines(out)  # only complete lines, each valid JSON
    assert 2 <= len(done_before) < len(questions)
    with out.open("ab") as f:  # what a kill in the middle of a write would leave
        f.write(b'{"id": "q-torn", "question": "Question 99: what do the art')

    env.pop("PERSPECTIVES_STUB_DELAY")
    rerun = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "dropped an incomplete last line" in rerun.stderr
    assert f"skipped {len(done_before)} (already done)" in rerun.stdout
    recs = lines(out)
    ids = [r["id"] for r in recs]
    assert len(ids) == len(set(ids)) == len(questions)  # every question exactly once
    assert set(ids) == {question_id(q) for q in questions}
    assert recs[:len(done_before)] == done_before  # nothing written before the kill was lost or changed
    md = (tmp_path / "answers.md").read_text(encoding="utf-8")
    assert all(f"## {q}\n" in md for q in questions)


def test_problem_str_names_file_and_line():
    assert str(Problem("q.txt", 3, "empty question")) == "q.txt:3: empty question"
    assert str(Problem("q.txt", 0, "the file is UTF-16")) == "q.txt: the file is UTF-16"
