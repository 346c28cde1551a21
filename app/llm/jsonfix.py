"""JSON replies from models that cannot be forced to follow a schema: parse, repair, fit.

Scope: turning a model's text into a value for a JSON schema (the small subset we use:
object, array, string with maxLength, number, integer, boolean, enum, required, default,
additionalProperties). Syntax repair (prose around the object, a reply cut off by
max_tokens, missing quotes) is the `json-repair` library's; fitting to the schema is ours:
an enum value is matched case-insensitively or by containment, strings are cut to
maxLength, and what cannot be recovered either gets the documented default
(`repair_json_reply`, for backends that promise schema-valid output) or is left out
(`parse_json_reply`, for callers that would rather know a field is missing).
Used by the HTTP backend and the stub (`constrained_reply`) and by the stance code.
Not here: asking a model for JSON (the backends), JSON-schema validation in general.
"""

from __future__ import annotations

import json

import json_repair

_MISSING = object()  # a value that could not be fitted, in parse_json_reply's lenient mode


def repair_json_reply(text: str, schema: dict) -> tuple[object, list[str]]:
    """A value valid against `schema` from a model's reply, and what had to be repaired.

    `problems` is empty when the reply was valid as it came. A value that cannot be
    recovered gets the schema's `default`, else the first enum value, else "" / 0 / false / [].
    """
    problems: list[str] = []
    value = _parse(text, schema, problems)
    return _fit(value, schema, "reply", problems, fill=True), problems


def parse_json_reply(text: str, schema: dict) -> dict | None:
    """The fields of a JSON object reply that fit `schema`, repaired where that is safe
    (syntax, enum case, maxLength); fields that do not fit are left out, nothing is invented.
    None when the reply holds no JSON object at all."""
    value = _parse(text, schema, [])
    if not isinstance(value, dict):
        return None
    fitted = _fit(value, schema, "reply", [], fill=False)
    return fitted if isinstance(fitted, dict) else None


def constrained_reply(text: str, schema: dict) -> tuple[str, str]:
    """What a backend that promises schema-valid output yields: the repaired reply as JSON text,
    and a note of what was repaired ("" when nothing). The note is also put in the object as
    `_repaired`, unless the schema forbids extra keys."""
    value, problems = repair_json_reply(text, schema)
    note = "; ".join(problems)
    if problems and isinstance(value, dict) and schema.get("additionalProperties") is not False:
        value["_repaired"] = note
    return json.dumps(value, ensure_ascii=False), note


# -- syntax -----------------------------------------------------------------------------------
def _parse(text: str, schema: dict, problems: list[str]):
    """Python value from the reply: as is, else the first whole JSON value in it, else repaired."""
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    starts = [i for i in (stripped.find("{"), stripped.find("[")) if i >= 0]
    if starts:
        try:
            value, _ = json.JSONDecoder().raw_decode(stripped[min(starts):])
            problems.append("text around the JSON dropped")
            return value
        except ValueError:
            pass
    value = json_repair.loads(stripped)
    if schema.get("type") == "object" and not isinstance(value, dict):
        # Several objects: the first. An object cut off inside its first key ('{"view')
        # comes back from json-repair as a list of strings: it is an object with no field yet.
        value = next((v for v in value if isinstance(v, dict)), None) if isinstance(value, list) else None
        value = {} if value is None and "{" in stripped else value
    if value in ("", None):
        problems.append("unparseable JSON")
        return None
    problems.append("cut-off JSON closed" if not stripped.endswith(("}", "]")) else "malformed JSON repaired")
    return value


# -- fitting to the schema --------------------------------------------------------------------
def _fit(value, schema: dict, where: str, problems: list[str], *, fill: bool):
    if "enum" in schema:
        return _fit_enum(value, schema, where, problems, fill)
    kind = schema.get("type")
    if kind == "object":
        return _fit_object(value, schema, where, problems, fill)
    if kind == "array":
        if not isinstance(value, list):
            return _unusable(schema, f"{where} was not a list", problems, fill)
        items = [_fit(v, schema.get("items", {}), where, problems, fill=fill) for v in value]
        return [v for v in items if v is not _MISSING]
    if kind == "string":
        if value is None or isinstance(value, (dict, list)):
            return _unusable(schema, f"{where} was not a string", problems, fill)
        if not isinstance(value, str):
            problems.append(f"{where} was not a string")
        text = str(value)
        return text[: schema["maxLength"]] if "maxLength" in schema else text
    if kind in ("number", "integer"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value) if kind == "integer" else value
        return _unusable(schema, f"{where} was not a number", problems, fill)
    if kind == "boolean":
        return value if isinstance(value, bool) else _unusable(schema, f"{where} was not a boolean", problems, fill)
    return value


def _fit_enum(value, schema: dict, where: str, problems: list[str], fill: bool):
    options = schema["enum"]
    if value in options:
        return value
    low = str(value or "").strip().lower()
    hit = next((o for o in options if str(o).lower() == low), None) or next((o for o in options if low and str(o).lower() in low), None)
    if hit is not None:
        problems.append(f"{where} {value!r} read as {hit!r}")
        return hit
    if not fill:
        return _MISSING
    default = schema.get("default", options[0])
    problems.append(f"{where} {value!r} not one of {options}; default {default!r} used")
    return default


def _fit_object(value, schema: dict, where: str, problems: list[str], fill: bool):
    if not isinstance(value, dict):
        problems.append(f"{where} was not an object")
        value = {}
    props = schema.get("properties", {})
    out = dict(value)
    for key, sub in props.items():
        if key in value:
            fitted = _fit(value[key], sub, key, problems, fill=fill)
            if fitted is _MISSING:
                out.pop(key)
            else:
                out[key] = fitted
        elif key in schema.get("required", []) and fill:
            out[key] = _default(sub)
            problems.append(f"{key} missing; default {out[key]!r} used")
    if schema.get("additionalProperties") is False:
        out = {k: v for k, v in out.items() if k in props}
    return out


def _unusable(schema: dict, problem: str, problems: list[str], fill: bool):
    problems.append(problem)
    return _default(schema) if fill else _MISSING


def _default(schema: dict):
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    return {"string": "", "number": 0, "integer": 0, "boolean": False, "array": [],
            "object": {k: _default(v) for k, v in schema.get("properties", {}).items() if k in schema.get("required", [])}}.get(schema.get("type"))
