"""The ``tocsin`` command's small HTTP client, over a real socket: what it sends, how it reads
Tocsin's answers and errors, and where it refuses to send a key."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.core.errors import InvalidInput
from tocsin_cli.http import ApiRefused, ApiUnreachable, TocsinApi

SEEN: list[dict[str, Any]] = []


class _Tocsin(BaseHTTPRequestHandler):
    """Answers as the API does: 200 with a body, or its error envelope."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        SEEN.append(
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "body": body,
            }
        )
        if self.path.endswith("/refuse"):
            status = 400
            answer: Any = {
                "error": {
                    "code": "invalid_request",
                    "message": "no contact 'c-zed'",
                    "field": "for",
                }
            }
        else:
            status, answer = 200, {"outcome": "counted", "counted": True, "message": "ok"}
        raw = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *_: Any) -> None:  # quiet
        return


@pytest.fixture
def server() -> Iterator[str]:
    SEEN.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Tocsin)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_it_posts_json_with_the_key_in_the_header_only(server: str) -> None:
    answer = TocsinApi(server, "tcs_secret").post("/v1/incidents/x/acknowledge", {"for": "c-ada"})
    assert answer == {"outcome": "counted", "counted": True, "message": "ok"}
    [seen] = SEEN
    assert seen["authorization"] == "Bearer tcs_secret"
    assert seen["content_type"] == "application/json"
    assert json.loads(seen["body"]) == {"for": "c-ada"}
    assert "tcs_secret" not in seen["path"]


def test_without_a_document_it_sends_no_body(server: str) -> None:
    TocsinApi(server, "k").post("/v1/incidents/x/acknowledge")
    assert SEEN[0]["body"] == b"" and SEEN[0]["content_type"] is None


def test_an_error_answer_becomes_an_error_with_its_status_code_and_field(server: str) -> None:
    with pytest.raises(ApiRefused) as refused:
        TocsinApi(server, "k").post("/refuse", {"for": "c-zed"})
    assert (refused.value.status, refused.value.code, refused.value.field) == (
        400,
        "invalid_request",
        "for",
    )
    assert str(refused.value) == "for: no contact 'c-zed' (400 invalid_request)"


def test_nothing_listening_is_said_plainly() -> None:
    with pytest.raises(ApiUnreachable) as unreachable:
        TocsinApi("http://127.0.0.1:9", "k").post("/v1/x")
    assert str(unreachable.value).startswith("cannot reach Tocsin's API at http://127.0.0.1:9/v1/x")


@pytest.mark.parametrize(
    "url",
    ["http://alerts.example.com", "http://127.0.0.1.example.com:8000", "ftp://127.0.0.1"],
)
def test_a_key_goes_over_plain_http_only_to_this_machine(url: str) -> None:
    with pytest.raises(InvalidInput, match="refusing to send your key"):
        TocsinApi(url, "k")
    TocsinApi("https://alerts.example.com", "k")
    TocsinApi("http://localhost:8000", "k")


def test_tocsin_ack_with_a_key_and_no_api_listening_says_where_it_looked() -> None:
    import io

    from tocsin_cli.main import main

    out, err = io.StringIO(), io.StringIO()
    key = "tcs_never_shown"
    argv = ["ack", "inc_01M8T7NT80Z74CRB5PXWQ0ESFK", "--key", key, "--api", "http://127.0.0.1:9"]
    assert main(argv, out, err=err) == 2
    said = err.getvalue()
    assert "cannot reach Tocsin's API at http://127.0.0.1:9/v1/incidents/" in said
    assert "make run" in said and "--api" in said and key not in said + out.getvalue()
