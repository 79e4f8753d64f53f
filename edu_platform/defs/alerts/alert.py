"""The alert: one failure to tell people about, its deterministic id and its links into the Dagster UI.

The same failure always gets the same `alert_id` (run id + check key + partition + event storage id for a
check, the run id for a failed run), which is what makes the alert log idempotent and lets a receiver
dedupe. Everything an alert says goes through `redact`.
"""

import json
from dataclasses import asdict, dataclass, field
from typing import Optional
from urllib.parse import quote

from edu_platform.lib.config import setting
from edu_platform.lib.redaction import redact


def ui_url() -> str:
    """The Dagster UI's base URL in alert links (EDU_DAGSTER_UI_URL)."""
    return setting("EDU_DAGSTER_UI_URL").rstrip("/")


def run_url(run_id: str) -> str:
    return f"{ui_url()}/runs/{run_id}"


def asset_url(asset_key: str) -> str:
    """The asset's checks tab; `asset_key` is the user string `layer/source/table`."""
    return f"{ui_url()}/assets/{'/'.join(quote(part, safe='') for part in asset_key.split('/'))}?view=checks"


@dataclass(frozen=True)
class Alert:
    """One failure to tell people about. `alert_id` is deterministic: the same failure, the same id."""

    alert_id: str
    kind: str  # "asset_check" | "run_failure"
    title: str
    run_id: Optional[str] = None
    job_name: Optional[str] = None
    asset_key: Optional[str] = None
    check_name: Optional[str] = None
    severity: Optional[str] = None
    partition: Optional[str] = None
    failing_rows: Optional[int] = None
    sample_keys: tuple = ()
    description: Optional[str] = None
    event_storage_id: Optional[int] = None
    run_url: Optional[str] = None
    asset_url: Optional[str] = None
    details: dict = field(default_factory=dict, compare=False)

    def fields(self) -> dict:
        """The structured fields sent with the text (JSON-serialisable, redacted)."""
        out = {k: v for k, v in asdict(self).items() if v not in (None, (), {}, [])}
        out["sample_keys"] = list(self.sample_keys)
        return json.loads(redact(json.dumps(out, default=str)))

    def text(self) -> str:
        lines = [self.title]
        if self.kind == "asset_check":
            lines.append(f"asset: {self.asset_key}  check: {self.check_name}  severity: {self.severity}")
        lines.append(f"partition: {self.partition or '-'}  job: {self.job_name or '-'}")
        if self.failing_rows is not None:
            lines.append(f"failing rows: {self.failing_rows}")
        if self.sample_keys:
            lines.append("sample keys: " + ", ".join(str(k) for k in self.sample_keys))
        if self.description:
            lines.append(self.description.strip())
        if self.run_id:
            lines.append(f"run {self.run_id}: {self.run_url}")
        if self.asset_url:
            lines.append(f"asset: {self.asset_url}")
        lines.append(f"alert id: {self.alert_id}")
        return redact("\n".join(lines))

    @classmethod
    def from_payload(cls, payload: dict) -> "Alert":
        """The alert back from the `payload` column of the alert log (unknown keys ignored)."""
        data = dict(payload)
        data["sample_keys"] = tuple(data.get("sample_keys") or ())
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def check_alert_id(run_id: str, asset_key: str, check_name: str, partition: Optional[str], storage_id: int) -> str:
    return f"check:{run_id}:{asset_key}:{check_name}:{partition or ''}:{storage_id}"


def run_failure_alert_id(run_id: str) -> str:
    return f"run_failure:{run_id}"
