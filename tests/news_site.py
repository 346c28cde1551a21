"""A small news site on 127.0.0.1 for the ingest tests (test_ingest.py, test_browser.py).

It serves the pages in tests/pages/ (an article with navigation, ads, a cookie banner,
related-article teasers and comments; a section page; a login wall; a cookie wall; a page
that needs JavaScript; a German article) plus the awkward cases a fetcher meets: a
redirect, a redirect loop, a slow endpoint, a trickling one, an image, an endless page,
one that declares 30 MB, a 404, and a PDF generated on the fly. Every request's headers
are recorded so tests can check the User-Agent and that no cookie is ever sent.
Runs in a daemon thread; `with NewsSite() as site:` stops it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = Path(__file__).resolve().parent / "pages"
ARTICLE = "/business/2025/02/03/chip-machine-makers-deepseek"
PDF_TITLE = "Export controls did not stop DeepSeek"
PDF_PARAGRAPHS = [
    "Washington hoped that its rules on advanced chips would keep Chinese laboratories a generation behind. "
    "The success of DeepSeek suggests that the rules slowed them down but did not stop them, and may even have "
    "pushed them towards cheaper methods that the rest of the industry is now copying.",
    "The company trained its model on processors that were legal to export at the time. Engineers who worked with "
    "them say that the limits forced a discipline on the team: every experiment had to count, and wasteful training "
    "runs were simply not possible.",
    "Critics of the controls argue that they have mostly hurt American chip sellers, who lost a large market, while "
    "Chinese buyers found ways around them. Supporters reply that without the rules China would be even further "
    "ahead, and that the point was never to stop research altogether.",
]


def make_pdf(*, metadata: bool = True, byline: bool = True) -> bytes:
    """A one-page article PDF (fpdf2): title, optional byline and date lines, three paragraphs."""
    from fpdf import FPDF

    pdf = FPDF()
    if metadata:
        pdf.set_title(PDF_TITLE)
        pdf.set_author("Lena Hofstra")
    pdf.set_creation_date(dt.datetime(2025, 2, 11, 9, 0, tzinfo=dt.timezone.utc))
    pdf.add_page()
    line = dict(new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, PDF_TITLE, **line)
    pdf.set_font("Helvetica", size=11)
    if byline:
        pdf.multi_cell(0, 6, "By Lena Hofstra", **line)
        pdf.multi_cell(0, 6, "10 February 2025", **line)
    pdf.ln(4)
    for paragraph in PDF_PARAGRAPHS:
        pdf.multi_cell(0, 6, paragraph, **line)
        pdf.ln(3)
    return bytes(pdf.output())


def _page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


HTML = "text/html; charset=utf-8"
STATIC = {
    ARTICLE: (HTML, "harbour-article.html"),
    "/tech/": (HTML, "harbour-section.html"),
    "/premium/inside-deepseek-hiring": (HTML, "harbour-login.html"),
    "/consent": (HTML, "cookie-wall.html"),
    "/app/article/1234": (HTML, "js-app.html"),
    "/hafenblatt/deepseek-europa": (HTML, "zeitung-artikel.html"),
}
REDIRECTS = {"/old-link": ARTICLE, "/loop-a": "/loop-b", "/loop-b": "/loop-a"}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, ctype: str, body: bytes, **headers):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.requests.append((self.path, dict(self.headers)))
        path = self.path.split("?")[0]
        if path in STATIC:
            ctype, name = STATIC[path]
            return self._send(200, ctype, _page(name))
        if path in REDIRECTS:
            return self._send(302, HTML, b"", Location=REDIRECTS[path])
        special = getattr(self, "_" + path.strip("/").replace("-", "_").replace("/", "_").replace(".", "_"), None)
        if special:
            return special()
        return self._send(404, HTML, b"<h1>Not found</h1>")

    def _consent_article(self):  # a cookie wall: the article only with a consent cookie (never sent by us)
        if "consent=yes" in self.headers.get("Cookie", ""):
            return self._send(200, HTML, _page("harbour-article.html"))
        return self._send(302, HTML, b"", Location="/consent", Set_Cookie="sid=abc123; Path=/")

    def _reports_export_controls_pdf(self):
        return self._send(200, "application/pdf", make_pdf())

    def _photo_png(self):
        return self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)

    def _slow(self):
        time.sleep(3)
        return self._send(200, HTML, _page("harbour-article.html"))

    def _trickle(self):  # headers at once, then a few bytes now and then: only a total deadline catches it
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        self.end_headers()
        for _ in range(30):
            self.wfile.write(b"<p>more</p>\n")
            self.wfile.flush()
            time.sleep(0.2)

    def _endless(self):  # no Content-Length, keeps sending: the streamed limit must stop it
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        self.end_headers()
        chunk = b"<p>" + b"word " * 2000 + b"</p>\n"
        try:
            for _ in range(400):  # about 4 MB at most
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _huge(self):  # declares 30 MB, sends little: refused before the body is read
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        self.send_header("Content-Length", "30000000")
        self.end_headers()
        try:
            self.wfile.write(b"<html>")
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list

    def handle_error(self, request, client_address):
        """The fetcher hangs up on the slow, trickling and oversized endpoints on purpose; that is
        not an error, and the default traceback on stderr would land in a CLI test's output."""


class NewsSite:
    """`with NewsSite() as site:` -> site.url(path), site.requests (path, headers) per request."""

    def __enter__(self) -> "NewsSite":
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.requests = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    @property
    def requests(self) -> list:
        return self.server.requests

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
