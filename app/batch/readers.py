"""Read batch input files: questions (or compare topics) from .txt, .jsonl or .csv.

Scope: turning a file into a list of `Item`s plus a list of `Problem`s. A problem (a
malformed JSONL line, a CSV without a `question` column, an empty question, a duplicate
id, bytes that are not UTF-8) names the file and line and never stops the valid lines from
running. Ids default to a stable hash of the normalised question, so a rerun maps the same
question to the same id (that is what resume keys on).
Not here: running the questions or writing answers (run.py).

Formats:
- .txt   one question per line; blank lines and lines starting with `#` are ignored.
- .jsonl one object per line: {"id": ..., "question": ...}; extra keys are ignored.
- .csv   a header row with a `question` column (any case), optional `id` column.
In compare mode the text field is `topic` (`question` is accepted too), with an optional
`claim` (JSONL key or CSV column).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from app.errors import InputError, read_user_file

FORMATS = (".txt", ".jsonl", ".csv")
_EXT_ALIASES = {".text": ".txt", ".ndjson": ".jsonl", ".tsv": ".csv"}


@dataclass(frozen=True)
class Item:
    id: str
    text: str  # the question (or topic) as written, whitespace-normalised
    line: int  # 1-based line in the input file where it starts
    claim: str | None = None  # compare mode only


@dataclass(frozen=True)
class Problem:
    path: str
    line: int  # 0 = the file as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def normalize(text: str) -> str:
    """The form a question is compared and hashed in: NFC, no control characters, single spaces."""
    t = unicodedata.normalize("NFC", text)
    t = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in t)
    return re.sub(r"\s+", " ", t).strip()


def question_id(text: str) -> str:
    """Stable id of a question: the same text (ignoring case and spacing) gives the same id."""
    return "q-" + hashlib.sha256(normalize(text).casefold().encode("utf-8")).hexdigest()[:12]


def read_items(path: str | Path, *, field: str = "question") -> tuple[list[Item], list[Problem]]:
    """Read every question (field="question") or topic (field="topic") from a batch file."""
    path = Path(path)
    ext = _EXT_ALIASES.get(path.suffix.lower(), path.suffix.lower())
    if ext not in FORMATS:
        raise InputError(f"Cannot read {path}: batch files must end in .txt (one question per line), .jsonl or .csv.")
    data = read_user_file(path, missing=f"Batch file not found: {path}", folder=f"{path} is a folder; give a .txt, .jsonl or .csv file.",
                          unreadable=f"Cannot read {path}: {{reason}}.")
    name = str(path)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return [], [Problem(name, 0, "the file is UTF-16; save it as UTF-8 and run again.")]
    lines, problems = _decode_lines(data, name)
    reader = {".txt": _read_txt, ".jsonl": _read_jsonl, ".csv": _read_csv}[ext]
    raw = reader(lines, name, field, problems)
    items = _dedupe(raw, name, field, problems)
    problems.sort(key=lambda p: p.line)
    return items, problems


def _decode_lines(data: bytes, name: str) -> tuple[list[str | None], list[Problem]]:
    """Split into lines and decode each one; a line that is not UTF-8 becomes None (and a problem)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte-order mark (Excel writes one)
    out: list[str | None] = []
    problems = []
    chunks = data.split(b"\n")
    if chunks and chunks[-1] == b"":
        chunks.pop()
    for n, chunk in enumerate(chunks, 1):
        try:
            out.append(chunk.rstrip(b"\r").decode("utf-8"))
        except UnicodeDecodeError as exc:
            bad = chunk[exc.start:exc.start + 1].hex()
            problems.append(Problem(name, n, f"not valid UTF-8 (byte 0x{bad} at column {exc.start + 1}); line skipped. Save the file as UTF-8."))
            out.append(None)
    return out, problems


def _read_txt(lines, name, field, problems) -> list[Item]:
    items = []
    for n, line in enumerate(lines, 1):
        if line is None or not line.strip() or line.lstrip().startswith("#"):
            continue
        text = normalize(line)
        if not text:
            problems.append(Problem(name, n, f"empty {field} (only invisible characters); line skipped."))
            continue
        items.append(Item("", text, n))
    return items


def _read_jsonl(lines, name, field, problems) -> list[Item]:
    keys = (field, "question") if field != "question" else (field,)
    items = []
    for n, line in enumerate(lines, 1):
        if line is None or not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(name, n, f"not valid JSON ({exc.msg} at column {exc.colno}); expected {{\"id\": ..., \"{field}\": ...}}."))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(name, n, f"expected a JSON object like {{\"id\": ..., \"{field}\": ...}}, got {type(obj).__name__}."))
            continue
        key = next((k for k in keys if k in obj), None)
        if key is None:
            problems.append(Problem(name, n, f"no \"{field}\" key (keys found: {', '.join(map(str, obj)) or 'none'})."))
            continue
        value = obj[key]
        if not isinstance(value, str):
            problems.append(Problem(name, n, f"\"{key}\" must be a string, got {type(value).__name__}."))
            continue
        item = _make_item(name, n, field, value, obj.get("id"), obj.get("claim"), problems)
        if item:
            items.append(item)
    return items


def _read_csv(lines, name, field, problems) -> list[Item]:
    # A line that was not UTF-8 is dropped from the CSV text; line numbers are kept by mapping.
    physical = [n for n, line in enumerate(lines, 1) if line is not None]
    texts = [line + "\n" for line in lines if line is not None]
    if not texts:
        return []
    sample = texts[0]
    delimiter = "\t" if name.lower().endswith(".tsv") or ("\t" in sample and "," not in sample) else ","
    reader = csv.reader(texts, delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        problems.append(Problem(name, physical[0], f"cannot read the CSV header ({exc})."))
        return []
    cols = [h.strip().lstrip("\ufeff").casefold() for h in header]
    wanted = [field, "question"] if field != "question" else [field]
    col = next((cols.index(w) for w in wanted if w in cols), None)
    if col is None:
        found = ", ".join(h.strip() for h in header if h.strip()) or "none"
        problems.append(Problem(name, physical[0], f"no \"{field}\" column in the header (columns found: {found}); no rows read. Add a header row such as: id,{field}"))
        return []
    id_col = cols.index("id") if "id" in cols else None
    claim_col = cols.index("claim") if "claim" in cols else None
    items = []
    consumed = 1
    while True:
        start = physical[consumed] if consumed < len(physical) else physical[-1]
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the reader starts afresh on the next line: later rows still run
            problems.append(Problem(name, start, f"malformed CSV row ({exc}); row skipped."))
            consumed = reader.line_num
            continue
        consumed = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if col >= len(row):
            problems.append(Problem(name, start, f"row has {len(row)} fields but the \"{field}\" column is number {col + 1}; row skipped."))
            continue
        get = lambda c: row[c] if c is not None and c < len(row) and row[c].strip() else None  # noqa: E731
        item = _make_item(name, start, field, row[col], get(id_col), get(claim_col), problems)
        if item:
            items.append(item)
    return items


def _make_item(name, n, field, value, raw_id, claim, problems) -> Item | None:
    text = normalize(value)
    if not text:
        problems.append(Problem(name, n, f"empty {field}; line skipped."))
        return None
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        item_id = ""
    elif isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool):
        item_id = str(raw_id).strip()
    else:
        problems.append(Problem(name, n, f"\"id\" must be a string or a number, got {type(raw_id).__name__}; line skipped."))
        return None
    if claim is not None and not isinstance(claim, str):
        problems.append(Problem(name, n, f"\"claim\" must be a string, got {type(claim).__name__}; line skipped."))
        return None
    return Item(item_id, text, n, normalize(claim) or None if claim else None)


def _dedupe(items: list[Item], name: str, field: str, problems: list[Problem]) -> list[Item]:
    """Give every item an id (its hash when none was given) and drop repeated ids, with a message."""
    seen: dict[str, int] = {}
    out = []
    for it in items:
        given = bool(it.id)
        item_id = it.id or question_id(it.text)
        if item_id in seen:
            if given:
                msg = f"duplicate id \"{item_id}\" (first used on line {seen[item_id]}); line skipped. Give each line its own id."
            else:
                msg = f"the same {field} as line {seen[item_id]} (id {item_id}); line skipped."
            problems.append(Problem(name, it.line, msg))
            continue
        seen[item_id] = it.line
        out.append(Item(item_id, it.text, it.line, it.claim))
    return out
