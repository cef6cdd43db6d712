"""A real HTTP server on a free loopback port that plays the three chat platforms' group robots.

It checks each request as the platform would — DingTalk's ``timestamp``/``sign`` query (HMAC-SHA256 of
``"{timestamp}\\n{secret}"`` keyed by the secret, base64, URL-encoded), Feishu's ``timestamp``/``sign`` in the
body (HMAC-SHA256 keyed by ``"{timestamp}\\n{secret}"`` over an empty message, base64), both within an hour of
now; WeCom's ``key`` in the URL — and answers the way each platform answers. The test scripts the answers:
``receiver.script = ["500", "500", "200"]`` or ``["hang", "200"]`` (hang: wait ``hang_seconds`` before a 200).
Written from the platforms' documentation, independently of ``teams/chat.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "SEC-test-secret-0123456789"
WECOM_KEY = "wecom-key-abc"


@dataclass
class Received:
    platform: str
    body: dict[str, Any]
    signed_ok: bool
    answered: str

    @property
    def text(self) -> str:
        if self.platform == "feishu":
            return self.body.get("content", {}).get("text", "")
        return self.body.get("markdown", {}).get("text") or self.body.get("markdown", {}).get("content", "")


@dataclass
class ChatReceiver:
    script: list[str] = field(default_factory=list)
    hang_seconds: float = 3.0
    received: list[Received] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, platform: str) -> str:
        return {
            "wecom": f"{self.base}/cgi-bin/webhook/send?key={WECOM_KEY}",
            "dingtalk": f"{self.base}/robot/send?access_token=dt-token",
            "feishu": f"{self.base}/open-apis/bot/v2/hook/fs-hook",
        }[platform]

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.answered == "200" and r.signed_ok]


def _dingtalk_ok(query: dict[str, list[str]]) -> bool:
    try:
        timestamp = int(query["timestamp"][0])
        sign = query["sign"][0]  # parse_qs has already URL-decoded it
    except (KeyError, ValueError):
        return False
    if abs(time.time() * 1000 - timestamp) > 3600 * 1000:
        return False
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(sign, expected)


def _feishu_ok(body: dict[str, Any]) -> bool:
    try:
        timestamp = int(body["timestamp"])
        sign = body["sign"]
    except (KeyError, ValueError, TypeError):
        return False
    if abs(time.time() - timestamp) > 3600:
        return False
    expected = base64.b64encode(hmac.new(f"{timestamp}\n{SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
    return hmac.compare_digest(sign, expected)


def start_receiver() -> ChatReceiver:
    receiver = ChatReceiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            parsed = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parsed.query)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            if parsed.path.startswith("/robot/send"):
                platform, signed_ok = "dingtalk", _dingtalk_ok(query)
            elif parsed.path.startswith("/open-apis/bot/v2/hook/"):
                platform, signed_ok = "feishu", _feishu_ok(body)
            else:
                platform, signed_ok = "wecom", query.get("key") == [WECOM_KEY]
            with receiver.lock:
                receiver.requests += 1
                step = receiver.script.pop(0) if receiver.script else "200"
            if step == "hang":
                time.sleep(receiver.hang_seconds)
                step = "200"
            receiver.received.append(Received(platform, body, signed_ok, step))
            if step == "500":
                self._answer(500, {"error": "internal"})
            elif not signed_ok:
                self._answer(200, {
                    "dingtalk": {"errcode": 310000, "errmsg": "sign not match"},
                    "feishu": {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"},
                    "wecom": {"errcode": 93000, "errmsg": "invalid webhook url"},
                }[platform])  # fmt: skip
            elif platform == "feishu":
                self._answer(200, {"code": 0, "msg": "success", "data": {}})
            else:
                self._answer(200, {"errcode": 0, "errmsg": "ok"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
