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
Whatever the server did, the reply is then validated against the schema and repaired if
needed (app/llm/jsonfix.py: prose around the object dropped, a reply cut off by max_tokens
closed, enum values matched case-insensitively, documented defaults for what cannot be
recovered); the object is marked with `"_repaired": "<what was fixed>"` (unless the schema
forbids extra keys), and the same note is kept in `last_repair`. With a schema the reply is yielded once, whole, after
validation (it is short JSON; streaming it would show unvalidated text).
The `llm_schema_mode` setting (PERSPECTIVES_LLM_SCHEMA_MODE=json_object|json_schema|none) pins the form.

Optional sampling fields (`top_k`, `repeat_penalty`, as the in-process backend uses) are
dropped for the rest of the session when a server rejects them by name (OpenAI does).

Concurrency: calls are not serialised here; the server queues (llama-cpp-python) or
batches (vLLM) them. A stream that ends without a finish reason is reported, not passed off
as a whole reply (llama-cpp-python's server cuts a stream short when another request
arrives unless started with `--interrupt_requests False`).

Faults (tests/test_server_faults.py): silence longer than `timeout` (httpx read timeout),
keep-alive comments without text for longer than `timeout`, a reply that is not an event
stream (a proxy's HTML page), an event that is not a completion chunk, and a connection
dropped mid-reply each raise one ModelError line naming the server URL.
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
from app.llm.base import GenerationStats, ModelBase, generate_each
from app.llm.jsonfix import constrained_reply

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


class OpenAIHTTPModel(ModelBase):
    can_stream = True
    can_score = False  # no logits over HTTP
    supports_schema = True  # asks the server for JSON, then validates and repairs it (jsonfix)
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
        mode = schema_mode or ""
        if mode and mode not in SCHEMA_MODES:
            raise ModelError(f"llm_schema_mode must be one of {', '.join(SCHEMA_MODES)}, got {mode!r}.")
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
        reply = self._request("GET", "/models")
        data = (reply.get("data") if isinstance(reply, dict) else None) or []
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
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
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
            reply, self.last_repair = constrained_reply(text, schema)
            yield reply
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
                    ctype = r.headers.get("content-type", "")
                    if "event-stream" not in ctype:  # a proxy's error page, or a server that ignores stream=true
                        body = " ".join(r.read().decode("utf-8", "replace").split())[:120]
                        raise ModelError(f"The model server at {self.url} answered with {ctype or 'no content type'}, not an event stream: "
                                         f"{body!r}. Is {self.url} an OpenAI-compatible API (usually ending in /v1)?")
                    yield from self._events(r, state, t0)
                    return
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from exc

    def _events(self, response, state, t0) -> Iterator[str]:
        finished = False
        progress = time.perf_counter()  # last time the server sent text, not just a keep-alive
        for line in response.iter_lines():
            if time.perf_counter() - progress > self.timeout:
                raise ModelError(f"The model server at {self.url} sent no text for {self.timeout:g} s (only keep-alives); "
                                 "it may be stuck. Try again, or allow more time with PERSPECTIVES_LLM_TIMEOUT (seconds).")
            if not line.startswith("data:"):
                continue  # SSE comments, keep-alives, event names
            data = line[5:].strip()
            if data == "[DONE]":
                break
            piece, finish = self._chunk(data)
            if piece:
                progress = time.perf_counter()
                if state["first"] is None:
                    state["first"] = time.perf_counter() - t0
                state["n"] += 1
                yield piece
            finished = finished or bool(finish)
        if not finished:
            raise ModelError(f"The model server at {self.url} ended the reply early (no finish reason): another request may have interrupted it "
                             "(start llama-cpp-python's server with --interrupt_requests False), or the server stopped.")

    def _chunk(self, data: str) -> tuple[str | None, str | None]:
        """(text piece, finish reason) of one `data:` event; anything not shaped like a chunk is an error."""
        try:
            chunk = json.loads(data)
        except ValueError:
            chunk = None
        if isinstance(chunk, dict) and "error" in chunk:
            raise ModelError(f"The model server at {self.url} failed mid-reply: {_message(chunk)}")
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        choice = (choices or [{}])[0] if isinstance(choices, list) else None
        delta = choice.get("delta") or {} if isinstance(choice, dict) else None
        piece = delta.get("content") if isinstance(delta, dict) else 0
        if not isinstance(piece, (str, type(None))):
            raise ModelError(f"The model server at {self.url} sent a malformed stream event: {data[:120]!r}. "
                             "Is it an OpenAI-compatible server (chat completions with stream=true)?")
        return piece, choice.get("finish_reason")

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
