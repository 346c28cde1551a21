"""A small OpenAI-compatible model server that misbehaves on request, for the server-fault tests.

Run as its own process (`python tests/fake_llm_server.py PORT`), so a test can SIGKILL it
mid-stream exactly as a crashed model server would die. Standard library only; binds
127.0.0.1. The first path segment picks the behaviour, e.g. `http://127.0.0.1:PORT/fail/v1`:

  ok         a normal streamed reply ("Hello there ...") with a finish reason
  fail       HTTP 500 with an OpenAI-style error body
  malformed  a 200 stream whose second event is not JSON
  notobject  a 200 stream of JSON events that are not completion chunks (a list, a number)
  html       a 200 text/html page instead of an event stream
  silent     reads the request and never answers (the connection stays open)
  stall      sends the headers and one event, then nothing
  drip       sends the headers, then only SSE keep-alive comments, forever
  slow       one event every 0.3 s, 40 events (a stream long enough to be killed mid-way)

`POST /control/die_after/N` makes the process exit abruptly (like SIGKILL) in the middle of
the Nth chat request counted from the start (headers and one event sent, then gone);
`GET /stats` returns {"chat_requests": n}. Not here: tokenisation (GET /extras/tokenize is
a 404, so clients estimate) or any real model.
"""

from __future__ import annotations

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"chat_requests": 0, "die_after": 0}


def _event(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    return f"data: {json.dumps({'choices': [{'delta': delta, 'finish_reason': finish}]})}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        if self.path.endswith("/stats"):
            return self._send(200, json.dumps({"chat_requests": STATE["chat_requests"]}).encode())
        if self.path.endswith("/models"):
            return self._send(200, json.dumps({"object": "list", "data": [{"id": "fake-model"}]}).encode())
        self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/control/die_after/"):
            STATE["die_after"] = int(self.path.rsplit("/", 1)[1])
            return self._send(200, b"{}")
        if not self.path.endswith("/chat/completions"):
            return self._send(404, b'{"error": {"message": "not found"}}')
        STATE["chat_requests"] += 1
        mode = self.path.strip("/").split("/")[0]
        if STATE["die_after"] and STATE["chat_requests"] >= STATE["die_after"]:
            self._start_stream()
            self._write(_event("The "))
            os._exit(9)  # gone mid-reply, no clean shutdown: what a killed server looks like
        getattr(self, f"_mode_{mode}", self._mode_ok)()

    # -- behaviours --------------------------------------------------------------------
    def _mode_ok(self):
        self._start_stream()
        for word in ("Hello ", "there, ", "the ", "articles ", "differ [1]."):
            self._write(_event(word))
        self._write(_event(finish="stop") + b"data: [DONE]\n\n")

    def _mode_fail(self):
        self._send(500, json.dumps({"error": {"message": "the model crashed", "type": "internal_server_error"}}).encode())

    def _mode_malformed(self):
        self._start_stream()
        self._write(_event("Hello ") + b"data: {\"choices\": [{\"delta\": {\"content\": \"unterminated\n\n")
        self._write(_event(finish="stop"))

    def _mode_notobject(self):
        self._start_stream()
        self._write(_event("Hello ") + b"data: [1, 2, 3]\n\ndata: 42\n\n" + _event(finish="stop"))

    def _mode_html(self):
        self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")

    def _mode_silent(self):
        time.sleep(3600)

    def _mode_stall(self):
        self._start_stream()
        self._write(_event("Hello "))
        time.sleep(3600)

    def _mode_drip(self):
        self._start_stream()
        for _ in range(36000):
            self._write(b": keep-alive\n\n")
            time.sleep(0.1)

    def _mode_slow(self):
        self._start_stream()
        for i in range(40):
            self._write(_event(f"word{i} "))
            time.sleep(0.3)
        self._write(_event(finish="stop") + b"data: [DONE]\n\n")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
