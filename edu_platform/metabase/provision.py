"""Provision Metabase from `dashboards.py` through its REST API: the warehouse as a database seen by `bi_reader`
(gold only), a collection, one native question per `Question` and one dashboard per `Dashboard`.

Idempotent: everything is found by name and updated in place, so a re-run after editing a query changes the
question instead of adding a copy. A fresh Metabase is set up first (its first admin, from the environment).

    python -m edu_platform.metabase      # EDU_METABASE_URL, EDU_METABASE_ADMIN_EMAIL / _PASSWORD, EDU_BI_READER_PASSWORD
"""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Optional

from edu_platform.lib.config import ConfigError, setting
from edu_platform.lib.roles import BI_READER
from edu_platform.metabase.dashboards import DASHBOARDS, Dashboard

COLLECTION = "edu_platform"
DATABASE = "edu_platform warehouse (gold)"
GRID_WIDTH = 24  # Metabase's dashboard grid; two questions side by side
CARD_WIDTH, CARD_HEIGHT = 12, 8


class MetabaseError(RuntimeError):
    """A Metabase API call failed; the message names the call and Metabase's answer."""


@dataclass(frozen=True)
class WarehouseAsSeenByMetabase:
    """How Metabase reaches the warehouse (in docker-compose: host `postgres`), as the BI role."""

    host: str
    port: int
    dbname: str
    user: str
    password: Optional[str]

    @classmethod
    def from_env(cls) -> "WarehouseAsSeenByMetabase":
        return cls(
            host=setting("EDU_METABASE_WAREHOUSE_HOST"),
            port=setting("EDU_METABASE_WAREHOUSE_PORT"),
            dbname=setting("EDU_METABASE_WAREHOUSE_DB"),
            user=BI_READER,
            password=setting("EDU_BI_READER_PASSWORD"),
        )

    def details(self) -> dict:
        return {
            "host": self.host, "port": self.port, "dbname": self.dbname, "user": self.user, "password": self.password,
            "ssl": False, "schema-filters-type": "inclusion", "schema-filters-patterns": "gold",
        }


class Metabase:
    """A thin client over the endpoints this module uses (see the recorded contract in the tests)."""

    def __init__(self, url: str, timeout: float = 30):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session: Optional[str] = None

    def call(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers={"Content-Type": "application/json"})
        if self.session:
            request.add_header("X-Metabase-Session", self.session)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise MetabaseError(f"Metabase {method} {path}: HTTP {exc.code}: {exc.read().decode()[:300]}") from None
        except urllib.error.URLError as exc:
            raise MetabaseError(f"Metabase {method} {path}: {exc.reason} (is Metabase running at {self.url}?)") from None
        return json.loads(text) if text else None

    def wait_until_healthy(self, seconds: float = 300) -> None:
        deadline = time.time() + seconds
        while True:
            try:
                if (self.call("GET", "/api/health") or {}).get("status") == "ok":
                    return
            except MetabaseError:
                pass
            if time.time() > deadline:
                raise MetabaseError(f"Metabase at {self.url} did not become healthy within {seconds:.0f} s")
            time.sleep(2)

    def log_in(self, email: str, password: str) -> None:
        """Set a fresh Metabase up (first admin) if it has no user yet, then open a session."""
        properties = self.call("GET", "/api/session/properties") or {}
        if not properties.get("has-user-setup") and properties.get("setup-token"):
            setup = self.call("POST", "/api/setup", {
                "token": properties["setup-token"],
                "user": {"email": email, "password": password, "first_name": "edu", "last_name": "platform", "site_name": "edu_platform"},
                "prefs": {"site_name": "edu_platform", "allow_tracking": False},
            })
            self.session = setup["id"]
            return
        self.session = self.call("POST", "/api/session", {"username": email, "password": password})["id"]


def _listed(payload) -> list:
    """Metabase lists either as a JSON array or as `{"data": [...]}` (depending on the endpoint and version)."""
    return payload.get("data", []) if isinstance(payload, dict) else list(payload or [])


def ensure_database(mb: Metabase, warehouse: WarehouseAsSeenByMetabase) -> int:
    body = {"name": DATABASE, "engine": "postgres", "details": warehouse.details(), "is_full_sync": True}
    found = next((d for d in _listed(mb.call("GET", "/api/database")) if d.get("name") == DATABASE), None)
    if found is None:
        return mb.call("POST", "/api/database", body)["id"]
    mb.call("PUT", f"/api/database/{found['id']}", body)
    return found["id"]


def ensure_collection(mb: Metabase) -> int:
    found = next((c for c in _listed(mb.call("GET", "/api/collection")) if c.get("name") == COLLECTION and not c.get("archived")), None)
    if found is not None:
        return found["id"]
    return mb.call("POST", "/api/collection", {
        "name": COLLECTION, "description": "Questions and dashboards on gold, provisioned from edu_platform/metabase.",
        "parent_id": None,
    })["id"]


def _items(mb: Metabase, collection_id: int, model: str) -> dict[str, int]:
    items = _listed(mb.call("GET", f"/api/collection/{collection_id}/items?models={model}"))
    return {item["name"]: item["id"] for item in items if item.get("model") == model}


def ensure_dashboard(mb: Metabase, dashboard: Dashboard, database_id: int, collection_id: int) -> dict:
    """The dashboard's questions (created or updated by name), then the dashboard with one card per question."""
    cards = _items(mb, collection_id, "card")
    card_ids = []
    for question in dashboard.questions:
        body = {
            "name": question.name, "description": question.description, "display": question.display,
            "visualization_settings": question.settings, "collection_id": collection_id,
            "dataset_query": {"type": "native", "native": {"query": question.sql, "template-tags": {}}, "database": database_id},
        }
        if question.name in cards:
            mb.call("PUT", f"/api/card/{cards[question.name]}", body)
            card_ids.append(cards[question.name])
        else:
            card_ids.append(mb.call("POST", "/api/card", body)["id"])
    dashboards = _items(mb, collection_id, "dashboard")
    if dashboard.name in dashboards:
        dashboard_id = dashboards[dashboard.name]
    else:
        dashboard_id = mb.call("POST", "/api/dashboard", {
            "name": dashboard.name, "description": dashboard.description, "collection_id": collection_id,
        })["id"]
    per_row = GRID_WIDTH // CARD_WIDTH
    dashcards = [
        {"id": -(i + 1), "card_id": card_id, "row": (i // per_row) * CARD_HEIGHT, "col": (i % per_row) * CARD_WIDTH,
         "size_x": CARD_WIDTH, "size_y": CARD_HEIGHT, "parameter_mappings": [], "visualization_settings": {}}
        for i, card_id in enumerate(card_ids)
    ]
    mb.call("PUT", f"/api/dashboard/{dashboard_id}", {"description": dashboard.description, "dashcards": dashcards})
    return {"dashboard_id": dashboard_id, "card_ids": card_ids}


def provision(mb: Metabase, email: str, password: str, warehouse: WarehouseAsSeenByMetabase, dashboards=DASHBOARDS) -> dict:
    mb.wait_until_healthy()
    mb.log_in(email, password)
    database_id = ensure_database(mb, warehouse)
    collection_id = ensure_collection(mb)
    return {d.name: ensure_dashboard(mb, d, database_id, collection_id) for d in dashboards}


def main() -> int:
    try:
        email, password = setting("EDU_METABASE_ADMIN_EMAIL"), setting("EDU_METABASE_ADMIN_PASSWORD")
        mb, warehouse = Metabase(setting("EDU_METABASE_URL")), WarehouseAsSeenByMetabase.from_env()
    except ConfigError as exc:
        print(f"Metabase provisioning not started: {exc}")
        return 2
    missing = [name for name, value in (("EDU_METABASE_ADMIN_EMAIL", email), ("EDU_METABASE_ADMIN_PASSWORD", password)) if not value]
    if missing:
        print(f"set {', '.join(missing)} (the Metabase admin this provisioning logs in as, or creates on a fresh Metabase)")
        return 2
    try:
        done = provision(mb, email, password, warehouse)
    except MetabaseError as exc:
        print(f"Metabase provisioning failed: {exc}")
        return 1
    for name, ids in done.items():
        print(f"dashboard {name!r}: {len(ids['card_ids'])} questions ({mb.url}/dashboard/{ids['dashboard_id']})")
    return 0
