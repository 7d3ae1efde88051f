"""Real headless Chromium for tests: Debian's browser driven by Playwright, on a local server.

Playwright cannot download its own browser here, so it drives /usr/bin/chromium
(override with PMTHEATER_CHROMIUM). The flags keep Chromium from reaching out
to the network, which is closed.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("PMTHEATER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: Any,
                 headers_for: Callable[[str], dict[str, str]] | None = None,
                 **kwargs: Any) -> None:
        self.headers_for = headers_for  # before super(): it handles the request
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        if self.headers_for is not None:
            for name, value in self.headers_for(self.path).items():
                self.send_header(name, value)
        super().end_headers()


@contextmanager
def serve_directory(root: Path, *,
                    headers_for: Callable[[str], dict[str, str]] | None = None
                    ) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port); yields the base URL ending in '/'.
    ``headers_for``: the extra response headers for a request path (a server's own
    policy or encoding, as a test needs)."""
    handler = functools.partial(_QuietHandler, directory=str(root), headers_for=headers_for)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def isolate(page) -> list[str]:
    """Keep a page on loopback; returns the list of outside URLs it tried to reach.

    Material asks the repository host's API for stars and the latest release
    when ``repo_url`` is set; those calls are answered with a small stand-in
    so the page behaves as it does online. Anything else outside is refused.
    """
    outside: list[str] = []

    def handle(route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")):
            route.continue_()
        elif url.startswith("https://api.github.com/repos/"):
            body = '{"tag_name": "v1.0.0"}' if url.endswith("/latest") else (
                '{"stargazers_count": 12, "forks_count": 3}')
            route.fulfill(status=200, content_type="application/json", body=body)
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", handle)
    return outside


def open_page(chromium, url: str, *, scheme: str | None = None):
    """A new page at ``url`` kept on loopback, in Material's ``default`` or ``slate`` palette.

    Returns the page, the console and page errors, and the outside URLs it tried.
    """
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    outside = isolate(page)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    if scheme:
        index = 1 if scheme == "slate" else 0
        page.add_init_script(
            f"localStorage.setItem('/.__palette', JSON.stringify({{index: {index}, color: "
            f"{{scheme: '{scheme}', primary: 'indigo', accent: 'amber'}}}}))"
        )
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, errors, outside


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
