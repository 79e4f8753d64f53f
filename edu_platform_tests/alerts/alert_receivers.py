"""Real local receivers for alert tests: an HTTP webhook (http.server) and an SMTP server (aiosmtpd),
both on 127.0.0.1. The webhook can be stopped and restarted on the same port to play "down"."""

import email
import json
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from edu_platform_tests.helpers import free_port


class WebhookReceiver:
    """Collects the JSON bodies POSTed to it."""

    def __init__(self):
        self.received: list[dict] = []
        self.port = free_port()
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/T000/B000/not-a-real-token"

    def start(self) -> "WebhookReceiver":
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"path": self.path, "body": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    @property
    def alerts(self) -> list[dict]:
        return [r["body"] for r in self.received]


class _Handler:
    def __init__(self, sink: list):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        self.sink.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message,
                          "raw": envelope.content.decode("utf-8", "replace")})
        return "250 OK"


class SmtpReceiver:
    """An SMTP server that requires a login (without TLS, this is a local test) and keeps the mail."""

    def __init__(self, user: str, password: str):
        self.received: list[dict] = []
        self.logins: list[str] = []
        self.user, self.password = user, password
        self.port = free_port()
        self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
            self.user, self.password)
        self.logins.append(auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?")
        return AuthResult(success=ok, handled=False)  # handled=True would leave the client waiting

    def start(self) -> "SmtpReceiver":
        self._controller = Controller(
            _Handler(self.received), hostname="127.0.0.1", port=self.port,
            authenticator=self._authenticate, auth_required=True, auth_require_tls=False,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Message]:
        return [r["message"] for r in self.received]
