"""An OpenAI-compatible HTTP backend: llama-cpp-python's server, llama.cpp's llama-server, vLLM.

Scope: the `Model` interface over `POST {url}/chat/completions` with streaming (SSE), the
same prompts and sampling as the in-process backend, constrained JSON output, and one-line
errors for an unreachable, slow or failing server. Plain httpx, no OpenAI SDK.
Not here: label log-probabilities (`can_score = False`: the stance code falls back to the
schema method), starting or managing servers, retries of failed generations.

Constrained output (`schema=...`), in this order, remembering what the server accepted:
  1. `response_format: {"type": "json_object", "schema": S}`   llama-cpp-python, llama-server
  2. `response_format: {"type": "json_schema", "json_schema": {"name": "reply", "schema": S}}`
                                                                vLLM, OpenAI
  3. no response_format at all                                  anything else
A server that rejects a form (an HTTP error naming `response_format`) gets the next one.
Whatever the server did, the reply is then validated against the schema here and repaired
if needed (`validate_json`): prose around the object is dropped, a reply cut off by
max_tokens is closed, an enum value is matched case-insensitively or by containment,
strings are cut to maxLength. A value that cannot be recovered gets the documented default
(the schema's `default`, else the first enum value, "" / 0 / false / []), and the object is
marked with `"_repaired": "<what was fixed>"` (unless the schema forbids extra keys); the
same note is kept in `last_repair`. With a schema the reply is yielded once, whole, after
validation (it is short JSON; streaming it would show unvalidated text).
`PERSPECTIVES_LLM_SCHEMA_MODE=json_object|json_schema|none` pins the form.

Optional sampling fields (`top_k`, `repeat_penalty`, as the in-process backend uses) are
dropped for the rest of the session when a server rejects them by name (OpenAI does).

Concurrency: calls are not serialised here; the server queues (llama-cpp-python) or
batches (vLLM) them. A stream that ends without a finish reason is reported, not passed off
as a whole reply (llama-cpp-python's server cuts a stream short when another request
arrives unless started with `--interrupt_requests False`).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from typing import Iterator
from urllib.parse import urlparse

from app.errors import ModelError
from app.llm.base import GenerationStats, generate_each

SCHEMA_MODES = ("json_object", "json_schema", "none")
OPTIONAL_FIELDS = ("top_k", "repeat_penalty")
START_HINT = "Start one, e.g.: python -m llama_cpp.server --model MODEL.gguf --host 127.0.0.1 --port 8000, or fix --llm-url / PERSPECTIVES_LLM_URL"


def normalise_url(url: str) -> str:
    """'http://host:8000' or '.../v1/' or '.../v1/chat/completions' -> 'http://host:8000/v1'."""
    u = url.strip().rstrip("/")
    if not re.match(r"^https?://", u):
        raise ModelError(f"The model server URL must start with http:// or https://, got {url!r}.")
    u = re.sub(r"/chat/completions$", "", u)
    return u if urlparse(u).path not in ("", "/") else u + "/v1"


class OpenAIHTTPModel:
    can_stream = True
    can_score = False
    can_batch = False  # generate_many: one request after another (a server batches across users itself)

    def __init__(self, url: str, *, model: str | None = None, api_key: str | None = None, timeout: float = 120.0,
                 connect_timeout: float = 5.0, n_ctx: int = 2048, schema_mode: str | None = None, probe: bool = True):
        import httpx

        self.url = normalise_url(url)
        self._root = re.sub(r"/v1$", "", self.url)
        self.timeout = float(timeout)
        self._timeout = httpx.Timeout(self.timeout, connect=min(connect_timeout, self.timeout))
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=self._timeout, headers=headers)
        self.lock = threading.Lock()  # for callers that want exclusive use; generate() does not hold it
        self.model_id = model
        self._n_ctx = n_ctx
        mode = schema_mode or os.environ.get("PERSPECTIVES_LLM_SCHEMA_MODE") or ""
        if mode and mode not in SCHEMA_MODES:
            raise ModelError(f"PERSPECTIVES_LLM_SCHEMA_MODE must be one of {', '.join(SCHEMA_MODES)}, got {mode!r}.")
        self._schema_modes = [mode] if mode else list(SCHEMA_MODES)
        self._dropped: set[str] = set()
        self._tokenize_ok: bool | None = None
        self._token_cache: dict[str, int] = {}
        self.last_repair = ""
        if probe:
            self._probe()
        self.name = f"{os.path.basename(self.model_id or 'model') or self.model_id} @ {self.url}"

    def __repr__(self) -> str:  # never shows the API key
        return f"OpenAIHTTPModel({self.url!r}, model={self.model_id!r})"

    # -- discovery ------------------------------------------------------------------------
    def _probe(self) -> None:
        """GET /models: fails fast on a wrong URL, finds the model name and context size."""
        data = self._request("GET", "/models").get("data") or []
        first = data[0] if data and isinstance(data[0], dict) else {}
        if not self.model_id:
            self.model_id = first.get("id") or "default"
        ctx = first.get("max_model_len") or (first.get("meta") or {}).get("n_ctx")  # vLLM / llama-server
        if isinstance(ctx, int) and ctx > 0:
            self._n_ctx = ctx

    @property
    def context_size(self) -> int:
        return self._n_ctx

    def count_tokens(self, text: str) -> int:
        """Exact through llama-cpp-python's /extras/tokenize when the server has it, else ~3 bytes/token."""
        if text in self._token_cache:
            return self._token_cache[text]
        n = None
        if self._tokenize_ok is not False:
            try:
                r = self._http.post(self._root + "/extras/tokenize", json={"input": text}, timeout=min(10.0, self.timeout))
                if r.status_code == 200:
                    n, self._tokenize_ok = len(r.json()["tokens"]), True
                else:
                    self._tokenize_ok = False
            except Exception:  # an estimate is good enough for fitting prompts; generate() reports real failures
                self._tokenize_ok = False if self._tokenize_ok is None else self._tokenize_ok
        if n is None:
            n = max(1, len(text.encode("utf-8")) // 3)
        if len(self._token_cache) > 512:
            self._token_cache.clear()
        self._token_cache[text] = n
        return n

    # -- HTTP -----------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kw) -> dict:
        import httpx

        try:
            r = self._http.request(method, self.url + path, **kw)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        if r.status_code >= 400:
            raise _status_error(self.url, r.status_code, r.text)
        try:
            return r.json()
        except ValueError as exc:
            raise ModelError(f"The model server at {self.url} did not answer {path} with JSON; is {self.url} an OpenAI-compatible API (usually ending in /v1)?") from exc

    def _transport_error(self, exc) -> ModelError:
        import httpx

        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            return ModelError(f"Cannot reach the model server at {self.url} ({type(exc).__name__}). {START_HINT}.")
        if isinstance(exc, httpx.ReadTimeout):
            return ModelError(f"The model server at {self.url} sent nothing for {self.timeout:g} s (timeout). It may be busy or too slow for this model; "
                              f"try again, or allow more time with PERSPECTIVES_LLM_TIMEOUT (seconds) / llm_timeout in the config file.")
        if isinstance(exc, httpx.TimeoutException):
            return ModelError(f"The model server at {self.url} timed out ({type(exc).__name__}, limit {self.timeout:g} s). Try again or raise PERSPECTIVES_LLM_TIMEOUT.")
        if isinstance(exc, httpx.RemoteProtocolError):
            return ModelError(f"The model server at {self.url} closed the connection mid-reply. Check its log (did it crash or restart?).")
        return ModelError(f"Talking to the model server at {self.url} failed: {type(exc).__name__}: {exc}")

    # -- generation -----------------------------------------------------------------------
    def _body(self, messages, max_tokens, temperature, schema, mode) -> dict:
        body = {"model": self.model_id or "default", "messages": messages, "max_tokens": max_tokens,
                "temperature": temperature, "stream": True}
        extra = {"top_k": 1 if temperature <= 0 else 40, "repeat_penalty": 1.1}  # as the in-process backend samples
        body.update({k: v for k, v in extra.items() if k not in self._dropped})
        if schema is not None and mode == "json_object":
            body["response_format"] = {"type": "json_object", "schema": schema}
        elif schema is not None and mode == "json_schema":
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
        return body

    def generate_many(self, conversations, *, max_tokens=128, temperature=0.0, stats: GenerationStats | None = None, on_piece=None) -> list[str]:
        return generate_each(self, conversations, max_tokens=max_tokens, temperature=temperature, stats=stats, on_piece=on_piece)

    def generate(self, messages, *, max_tokens=128, temperature=0.0, schema=None, stats: GenerationStats | None = None) -> Iterator[str]:
        t0 = time.perf_counter()
        state = {"first": None, "n": 0}
        try:
            if schema is None:
                yield from self._stream(messages, max_tokens, temperature, None, "none", state, t0)
                return
            text = ""
            while True:
                mode = self._schema_modes[0]
                try:
                    text = "".join(self._stream(messages, max_tokens, temperature, schema, mode, state, t0))
                    break
                except _Rejected as rej:
                    if rej.field != "response_format" or len(self._schema_modes) == 1:
                        raise ModelError(rej.message) from None
                    self._schema_modes.pop(0)  # this server does not take that form; use the next from now on
            obj, problems = validate_json(text, schema)
            self.last_repair = "; ".join(problems)
            if problems and schema.get("additionalProperties") is not False and isinstance(obj, dict):
                obj["_repaired"] = self.last_repair
            yield json.dumps(obj, ensure_ascii=False)
        finally:
            if stats is not None:
                stats.completion_tokens = state["n"]
                stats.prompt_tokens = sum(max(1, len(m.get("content", "")) // 4) for m in messages)  # estimate
                stats.seconds_to_first_token = state["first"] or 0.0
                stats.seconds = time.perf_counter() - t0

    def _stream(self, messages, max_tokens, temperature, schema, mode, state, t0) -> Iterator[str]:
        import httpx

        while True:  # retried only when the server rejects an optional sampling field by name
            body = self._body(messages, max_tokens, temperature, schema, mode)
            try:
                with self._http.stream("POST", self.url + "/chat/completions", json=body) as r:
                    if r.status_code >= 400:
                        err = _status_error(self.url, r.status_code, r.read().decode("utf-8", "replace"))
                        field = _rejected_field(str(err), body)
                        if field in OPTIONAL_FIELDS:
                            self._dropped.add(field)
                            continue
                        if field == "response_format":
                            raise _Rejected(field, str(err))
                        raise err
                    yield from self._events(r, state, t0)
                    return
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from exc

    def _events(self, response, state, t0) -> Iterator[str]:
        finished = False
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue  # SSE comments, keep-alives, event names
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                raise ModelError(f"The model server at {self.url} sent a malformed stream event: {data[:120]!r}") from None
            if "error" in chunk:
                raise ModelError(f"The model server at {self.url} failed mid-reply: {_message(chunk)}")
            choice = (chunk.get("choices") or [{}])[0]
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                if state["first"] is None:
                    state["first"] = time.perf_counter() - t0
                state["n"] += 1
                yield piece
            finished = finished or bool(choice.get("finish_reason"))
        if not finished:
            raise ModelError(f"The model server at {self.url} ended the reply early (no finish reason): another request may have interrupted it "
                             "(start llama-cpp-python's server with --interrupt_requests False), or the server stopped.")

    def close(self) -> None:
        self._http.close()


class _Rejected(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _message(payload) -> str:
    """The server's own error message from an OpenAI-style, FastAPI-style or plain body."""
    if isinstance(payload, dict):
        err = payload.get("error", payload.get("detail", payload.get("message")))
        if isinstance(err, dict):
            err = err.get("message", err)
        payload = err if err is not None else payload
    text = payload if isinstance(payload, str) else json.dumps(payload)
    text = text.split("\n\n  File ")[0]  # llama-cpp-python appends a traceback location
    return " ".join(text.split())[:300]


def _status_error(url: str, status: int, body: str) -> ModelError:
    try:
        msg = _message(json.loads(body))
    except ValueError:
        msg = " ".join(body.split())[:300] or "(empty body)"
    hint = {401: " Set PERSPECTIVES_LLM_API_KEY.", 403: " Check PERSPECTIVES_LLM_API_KEY.",
            404: f" Is {url} the API base (usually ending in /v1) and PERSPECTIVES_LLM_MODEL a model it serves?"}.get(status, "")
    return ModelError(f"The model server at {url} answered HTTP {status}: {msg}.{hint}")


def _rejected_field(message: str, body: dict) -> str | None:
    low = message.lower()
    if not re.search(r"HTTP (400|422|500)\b", message):
        return None
    if "response_format" in body and ("response_format" in low or "json_schema" in low):
        return "response_format"
    return next((f for f in OPTIONAL_FIELDS if f in body and f in low), None)


# -- validation and repair ------------------------------------------------------------------
def validate_json(text: str, schema: dict) -> tuple[object, list[str]]:
    """Parse `text` as an instance of `schema` (the subset we use), repairing what it must.

    Returns (value, problems); `problems` is empty when the reply was valid as it came.
    """
    problems: list[str] = []
    start = text.find("{") if schema.get("type") == "object" else -1
    raw = text[start:] if start > 0 else text
    if start > 0:
        problems.append("text around the JSON dropped")
    try:
        value, end = json.JSONDecoder().raw_decode(raw.lstrip())
        if raw.lstrip()[end:].strip() and "text around the JSON dropped" not in problems:
            problems.append("text around the JSON dropped")
    except ValueError:
        value = None
        try:
            value = json.loads(_close_json(raw))
            problems.append("cut-off JSON closed")
        except ValueError:
            if schema.get("type") == "object":
                value = _salvage_fields(raw, schema)
                problems.append("unparseable JSON; fields salvaged")
    return _fit(value, schema, "reply", problems), problems


def _fit(value, schema: dict, where: str, problems: list[str]):
    if "enum" in schema:
        options = schema["enum"]
        if value in options:
            return value
        low = str(value or "").strip().lower()
        hit = next((o for o in options if str(o).lower() == low), None) or next((o for o in options if low and str(o).lower() in low), None)
        if hit is not None:
            problems.append(f"{where} {value!r} read as {hit!r}")
            return hit
        default = schema.get("default", options[0])
        problems.append(f"{where} {value!r} not one of {options}; default {default!r} used")
        return default
    t = schema.get("type")
    if t == "object":
        if not isinstance(value, dict):
            problems.append(f"{where} was not an object")
            value = {}
        out = dict(value)
        props = schema.get("properties", {})
        for key, sub in props.items():
            if key in value:
                out[key] = _fit(value[key], sub, key, problems)
            elif key in schema.get("required", []):
                out[key] = _default(sub)
                problems.append(f"{key} missing; default {out[key]!r} used")
        if schema.get("additionalProperties") is False:
            out = {k: v for k, v in out.items() if k in props}
        return out
    if t == "string":
        s = value if isinstance(value, str) else ("" if value is None else str(value))
        if not isinstance(value, str):
            problems.append(f"{where} was not a string")
        if "maxLength" in schema and len(s) > schema["maxLength"]:
            s = s[: schema["maxLength"]]
        return s
    if t in ("number", "integer"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value) if t == "integer" else value
        problems.append(f"{where} was not a number")
        return _default(schema)
    if t == "boolean":
        if isinstance(value, bool):
            return value
        problems.append(f"{where} was not a boolean")
        return _default(schema)
    if t == "array":
        if not isinstance(value, list):
            problems.append(f"{where} was not a list")
            return _default(schema)
        return [_fit(v, schema.get("items", {}), where, problems) for v in value]
    return value


def _default(schema: dict):
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    return {"string": "", "number": 0, "integer": 0, "boolean": False, "array": [],
            "object": {k: _default(v) for k, v in schema.get("properties", {}).items() if k in schema.get("required", [])}}.get(schema.get("type"))


def _close_json(text: str) -> str:
    """Close a JSON text cut off mid-way: an open string, a dangling key or comma, open brackets."""
    stack, in_str, esc = [], False, False
    for ch in text:
        if in_str:
            esc, in_str = (False, in_str) if esc else (ch == "\\", ch != '"')
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    out = text + ('"' if in_str else "")
    out = out.rstrip()
    if out.endswith(","):
        out = out[:-1]
    elif out.endswith(":"):
        out += " null"
    elif stack and stack[-1] == "}" and re.search(r'[{,]\s*"(?:[^"\\]|\\.)*"$', out):
        out = re.sub(r'(,?)\s*"(?:[^"\\]|\\.)*"$', "", out)  # drop a key that never got its value
    return out + "".join(reversed(stack))


def _salvage_fields(text: str, schema: dict) -> dict:
    out = {}
    for key in schema.get("properties", {}):
        m = re.search(r'"%s"\s*:\s*("(?:[^"\\]|\\.)*"?|-?\d+(?:\.\d+)?|true|false|null)' % re.escape(key), text)
        if m:
            v = m.group(1)
            try:
                out[key] = json.loads(v if not v.startswith('"') or (len(v) > 1 and v.endswith('"')) else v + '"')
            except ValueError:
                pass
    return out
