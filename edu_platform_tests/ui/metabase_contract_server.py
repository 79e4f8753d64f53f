"""A Metabase stand-in that speaks the recorded API contract over real HTTP: each request must match an endpoint of
`metabase_api_contract.json` and carry its required fields (else 400/404, which fails the provisioning); objects
created are kept, listed and updated as Metabase does, so idempotency can be asserted."""

import contextlib
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

CONTRACT = json.loads((Path(__file__).with_name("metabase_api_contract.json")).read_text())


def _has(body, dotted: str) -> bool:
    value = body
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


class ContractState:
    def __init__(self):
        self.user = None
        self.sessions: set[str] = set()
        self.ids = itertools.count(100)
        self.objects: dict[str, dict[int, dict]] = {"database": {}, "collection": {}, "card": {}, "dashboard": {}}
        self.calls: list[tuple[str, str, dict | None]] = []
        self.violations: list[str] = []


def _match(method: str, path: str):
    for endpoint in CONTRACT["endpoints"]:
        pattern = "^" + re.sub(r"\{id\}", r"(?P<id>\\d+)", endpoint["path"]) + "/?$"
        found = re.match(pattern, path)
        if endpoint["method"] == method and found:
            return endpoint, found.groupdict().get("id")
    return None, None


def _handler(state: ContractState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, payload) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            state.calls.append((method, url.path, body))
            endpoint, object_id = _match(method, url.path)
            if endpoint is None:
                state.violations.append(f"{method} {url.path}: not in the contract")
                return self._send(404, {"message": "not in the recorded contract"})
            missing = [f for f in endpoint.get("required", []) if not _has(body or {}, f)]
            for card in (body or {}).get("dashcards", []) if "dashcard_required" in endpoint else []:
                missing += [f"dashcards[].{f}" for f in endpoint["dashcard_required"] if f not in card]
            if missing:
                state.violations.append(f"{method} {url.path}: missing {missing}")
                return self._send(400, {"errors": {f: "required" for f in missing}})
            needs_auth = endpoint.get("auth", True) and not url.path.startswith(("/api/health", "/api/session/properties"))
            if needs_auth and self.headers.get("X-Metabase-Session") not in state.sessions:
                state.violations.append(f"{method} {url.path}: no valid session")
                return self._send(401, "Unauthenticated")
            self._send(200, self._respond(endpoint, url, body, object_id))

        def _respond(self, endpoint, url, body, object_id):
            path = endpoint["path"]
            recorded = json.loads(json.dumps(endpoint["response"]))
            if path == "/api/session/properties":
                return {**recorded, "has-user-setup": state.user is not None}
            if path == "/api/setup":
                state.user = body["user"]
                state.sessions.add(recorded["id"])
                return recorded
            if path == "/api/session":
                ok = state.user and body["username"] == state.user["email"] and body["password"] == state.user["password"]
                if not ok:
                    return recorded | {"id": None}
                state.sessions.add(recorded["id"])
                return recorded
            kind = path.split("/")[2]
            store = state.objects.get(kind)
            if store is None:  # /api/health
                return recorded
            if path.endswith("/items"):
                models = url.query.split("models=")[-1]
                items = [
                    {"id": i, "name": o["name"], "model": model}
                    for model in ("card", "dashboard") if model == models
                    for i, o in state.objects[model].items() if o.get("collection_id") == int(object_id)
                ]
                return {**recorded, "data": items, "total": len(items)}
            if endpoint["method"] == "GET":
                listed = [{"id": i, **o} for i, o in store.items()]
                return {**recorded, "data": listed, "total": len(listed)} if endpoint.get("list") == "data" else recorded + listed
            if endpoint["method"] == "POST":
                new_id = next(state.ids)
                store[new_id] = dict(body)
                return {**recorded, **body, "id": new_id}
            store[int(object_id)].update(body)
            return {**recorded, **store[int(object_id)], "id": int(object_id)}

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_PUT(self):
            self._handle("PUT")

    return Handler


@contextlib.contextmanager
def contract_server():
    state = ContractState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
