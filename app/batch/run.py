"""Run a batch: answer (or compare) every item, append each result durably, write the report.

Scope: the answers file (`AnswerLog`: checked before any work, locked, resumed, a torn
last line repaired, every record appended + flushed + fsynced), the loop (`run_batch`:
one pipeline, a progress bar, failures counted instead of fatal) and the outputs rebuilt
from the whole answers file at the end (Markdown report, combined compare CSV).
Not here: reading input files (readers.py) and argument parsing (app/cli/batch.py).

Invariant: the answers file only ever holds complete JSON lines, one per id, in the order
they finished; anything else found on resume is reported, and only a torn *last* line is
removed (it is the one a kill can leave behind).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from app.batch.readers import Item, Problem
from app.errors import InputError, PerspectivesError

try:  # advisory lock, so two runs cannot append to one file (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def check_writable(path: Path, *, what: str, keep: bool = False, avoid: dict[str, Path] | None = None) -> Path:
    """Fail now, before any work, if `path` cannot be written (with `keep`, it is left created)."""
    path = Path(path).expanduser()
    for name, other in (avoid or {}).items():
        if other is not None and path.resolve() == Path(other).expanduser().resolve():
            raise InputError(f"The {what} {path} is the same file as the {name}; choose another path.")
    if path.is_dir():
        raise InputError(f"The {what} {path} is a folder; give a file name, e.g. {path / ('answers' + (path.suffix or '.jsonl'))}.")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise InputError(f"Cannot write the {what} {path}: {exc.strerror or exc}. Choose another path.") from None
    if not existed and not keep:
        path.unlink()
    return path


class AnswerLog:
    """The JSONL answers file: what is already done, and durable appends."""

    def __init__(self, path: Path, notify: Callable[[str], None] = lambda m: None):
        self.path = Path(path)
        self.notify = notify
        self._f = None
        self.done: dict[str, dict] = {}  # id -> record already in the file

    def open(self) -> "AnswerLog":
        f = open(self.path, "a+b")  # reads from anywhere, writes always append
        if fcntl is not None:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                raise InputError(f"Another batch run is writing {self.path}; wait for it or choose another -o file.") from None
        self._f = f
        self._repair_tail()
        self.done = {r["id"]: r for r in self.records(report=True)}
        return self

    def _repair_tail(self) -> None:
        f = self._f
        f.seek(0)
        data = f.read()
        if not data or data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        if _parse(tail) is not None:  # complete record, only its newline missing
            f.write(b"\n")
        else:
            f.truncate(cut)
            line = data.count(b"\n", 0, cut) + 1
            self.notify(f"{self.path}:{line}: dropped an incomplete last line ({len(tail):,} bytes, left by an interrupted run); that item will be run again.")
        f.flush()
        os.fsync(f.fileno())

    def records(self, *, report: bool = False) -> list[dict]:
        """Every complete record in the file, first occurrence of each id, in file order."""
        self._f.seek(0)
        seen: dict[str, dict] = {}
        for n, raw in enumerate(self._f.read().split(b"\n"), 1):
            if not raw.strip():
                continue
            rec = _parse(raw)
            if rec is None:
                if report:
                    self.notify(f"{self.path}:{n}: not a valid answer line (JSON object with an \"id\"); ignored.")
                continue
            seen.setdefault(rec["id"], rec)
        return list(seen.values())

    def append(self, record: dict) -> None:
        """Write one record as one line and make sure it is on disk before returning."""
        line = json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
        self._f.write(line)
        self._f.flush()
        os.fsync(self._f.fileno())
        self.done[record["id"]] = record

    def close(self) -> None:
        if self._f is not None:
            self._f.close()  # closing releases the lock
            self._f = None

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()


def _parse(raw: bytes) -> dict | None:
    try:
        rec = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("id"), str) else None


def record_kind(rec: dict) -> str:
    return "ask" if "answer" in rec and "perspectives" in rec else "compare"


@dataclass
class Summary:
    total: int = 0  # valid items in the input
    answered: int = 0
    failed: int = 0
    skipped: int = 0  # already in the answers file
    problems: int = 0  # input lines that could not be used
    seconds: float = 0.0
    model_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    interrupted: bool = False
    failures: list[tuple[Item, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.problems or self.interrupted)

    def text(self, verb: str = "answered") -> str:
        parts = [f"{verb.capitalize()} {self.answered}", f"failed {self.failed}", f"skipped {self.skipped} (already done)"]
        if self.problems:
            parts.append(f"input problems {self.problems}")
        line = ", ".join(parts) + f" of {self.total + self.problems} · {_duration(self.seconds)}"
        if self.answered and self.seconds:
            line += f" · {self.answered / self.seconds * 60:.1f}/min"
        if self.prompt_tokens or self.completion_tokens:
            rate = f"{self.completion_tokens / self.model_s:.1f} tokens/s generated" if self.model_s >= 0.1 else "tokens/s n/a (no model time)"
            line += f" · {rate} ({self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens, {self.model_s:.1f} s in the model)"
        if self.interrupted:
            line += " · interrupted"
        return line


def _duration(s: float) -> str:
    return f"{int(s // 60)}m {s % 60:04.1f}s" if s >= 60 else f"{s:.1f}s"


def run_batch(pipe, items: list[Item], log: AnswerLog, *, compare: bool = False, progress: bool = True,
              notify: Callable[[str], None] = print, debug: bool = False) -> Summary:
    """Run every item not yet in `log`, appending each result as soon as it is done."""
    from tqdm import tqdm

    summary = Summary(total=len(items))
    todo = []
    for it in items:
        old = log.done.get(it.id)
        if old is None:
            todo.append(it)
            continue
        summary.skipped += 1
        if _text_of(old) not in (None, it.text):
            notify(f"line {it.line}: id {it.id} is already in {log.path} with a different text; skipped (delete that line to run it again).")
    run_one = _runner(compare)
    t0 = time.perf_counter()
    bar = tqdm(total=len(todo), unit="q", desc="Comparing" if compare else "Answering", file=sys.stderr,
               disable=not progress or not todo, dynamic_ncols=True)
    say = (lambda m: bar.write(m, file=sys.stderr)) if progress else notify
    try:
        for it in todo:
            t1 = time.perf_counter()
            try:
                result = run_one(pipe, it)
            except KeyboardInterrupt:
                summary.interrupted = True
                break
            except Exception as exc:  # one bad item must not end a long run; it is counted and reported
                if debug:
                    raise
                msg = str(exc) if isinstance(exc, PerspectivesError) else f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
                summary.failed += 1
                summary.failures.append((it, msg))
                say(f"line {it.line} ({it.id}) failed: {msg}")
                bar.set_postfix(failed=summary.failed)
                bar.update()
                continue
            rec = {"id": it.id, **result.to_dict()}
            timing = rec.setdefault("timing", {})
            timing["wall_s"] = round(time.perf_counter() - t1, 3)
            log.append(rec)
            summary.answered += 1
            summary.model_s += timing.get("model_s", 0.0)
            summary.prompt_tokens += timing.get("prompt_tokens", 0)
            summary.completion_tokens += timing.get("completion_tokens", 0)
            bar.update()
    finally:
        bar.close()
        summary.seconds = time.perf_counter() - t0
    return summary


def _runner(compare: bool):
    if compare:
        from app.answer.compare import compare as compare_topic

        return lambda pipe, it: compare_topic(pipe, it.text, claim=it.claim)
    from app.answer.ask import ask

    return lambda pipe, it: ask(pipe, it.text)


def from_record(cls, record: dict):
    """A result object (nested dataclasses included) back from its JSON line; extra keys such as
    `id` are ignored. Renderers then take it exactly as they take a fresh result."""
    return cls.from_dict(record)


def _text_of(rec: dict) -> str | None:
    return rec.get("question") if record_kind(rec) == "ask" else rec.get("topic")


# ---------------------------------------------------------------- outputs rebuilt at the end


def ordered(records: list[dict], items: list[Item]) -> list[dict]:
    """Records in input order, then any others the answers file holds (from earlier inputs)."""
    pos = {it.id: i for i, it in enumerate(items)}
    return sorted(records, key=lambda r: pos.get(r["id"], len(pos)))


def write_report(path: Path, records: list[dict], *, input_path: Path, output_path: Path, summary: Summary,
                 problems: list[Problem], items: list[Item]) -> None:
    """The readable Markdown report, rebuilt from every record (so resumed runs are complete)."""
    records = ordered(records, items)
    mode = record_kind(records[0]) if records else "ask"
    noun = "questions" if mode == "ask" else "topics"
    models = sorted({str(r.get("model", "?")) for r in records}) or ["-"]
    line_of = {it.id: it.line for it in items}
    out = [
        f"# Perspectives batch report: {input_path.name}", "",
        f"- Input: `{input_path}` ({summary.total + summary.problems} {noun}, {summary.problems} unusable)",
        f"- Results (JSONL): `{output_path}` ({len(records)} {noun} done in all)",
        f"- Model: {', '.join(models)}",
        f"- Last run: {datetime.now(timezone.utc).astimezone().strftime('%Y-%m-%d %H:%M %Z')} · "
        f"{summary.text('answered' if mode == 'ask' else 'compared')}",
        "",
        ("Every [n] cites a numbered source listed under its question; quoted passages are verbatim from the articles. "
         "Viewpoints are the model's summaries; the quotes are the evidence." if mode == "ask" else
         "Each table row is one article: a stance toward the claim (the model's judgement) and verbatim evidence with citation numbers."),
        "",
    ]
    if records:
        out += ["## Contents", ""]
        for i, r in enumerate(records, 1):
            out.append(f"{i}. [{_text_of(r) or r['id']}](#{_anchor(r['id'])})")
        out.append("")
    have = {r["id"] for r in records}
    missing = [it for it in items if it.id not in have]
    if problems or missing:
        out += ["## Not answered", ""]
        failed = {it.id: msg for it, msg in summary.failures}
        for it in missing:
            why = failed.get(it.id, "not run yet (the run was interrupted)")
            out.append(f"- line {it.line}, `{it.id}`: {it.text} — {why}")
        for p in problems:
            out.append(f"- {p}")
        out.append("")
    for r in records:
        body = _ask_markdown(r) if record_kind(r) == "ask" else _compare_markdown(r)
        head, _, rest = body.partition("\n")
        meta = [f"id `{r['id']}`"]
        if r["id"] in line_of:
            meta.append(f"input line {line_of[r['id']]}")
        if r.get("timing", {}).get("wall_s") is not None:
            meta.append(f"{r['timing']['wall_s']:.1f} s")
        out += [f'<a id="{_anchor(r["id"])}"></a>', "", head, "", "*" + " · ".join(meta) + "*", rest.rstrip("\n"), ""]
    _atomic_write(path, "\n".join(out).rstrip("\n") + "\n")


def _anchor(item_id: str) -> str:
    return "item-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in item_id)


def _ask_markdown(rec: dict) -> str:
    from app.answer.results import AskResult
    from app.render.text import markdown

    return markdown(from_record(AskResult, rec))


def _compare_markdown(rec: dict) -> str:
    from app.answer.results import CompareResult
    from app.render.compare import to_markdown

    return to_markdown(from_record(CompareResult, rec))


def write_compare_csv(path: Path, records: list[dict], items: list[Item]) -> int:
    """One combined CSV for all topics, in input order, with the columns of `compare --csv`
    (the same writer: app/render/compare.py `to_csv`). Returns the row count."""
    from app.answer.results import CompareResult
    from app.render.compare import to_csv

    results = [from_record(CompareResult, rec) for rec in ordered(records, items) if record_kind(rec) == "compare"]
    _atomic_write(path, to_csv(results))
    return sum(len(r.rows) for r in results)


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a kill never leaves half a report."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
