"""The configuration layer: every environment variable the platform reads, declared once with its type.

`setting(NAME)` is the one way to read a variable: it parses the value the declared way and a bad value raises
one line naming the variable and what it expected, wherever it is read. `check_environment()` parses them all
when the code location loads (edu_platform.definitions), so a typo fails the deployment, not a run at 3 a.m.
`config_resources()` declares the same settings as typed Dagster resources fed by `EnvVar`, shown on the UI's
resources page with the variable's name in place of each secret.
"""

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from dagster import ConfigurableResource, EnvVar
from pydantic import Field


class ConfigError(ValueError):
    """A variable's value the platform cannot use; the message names the variable and what it expected."""


def _url(schemes: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            raise ValueError(f"a {' / '.join(s + '://' for s in schemes)} URL")
        return raw
    return parse


def _number(kind: type, minimum: float | None = None) -> Callable[[str], Any]:
    def parse(raw: str):
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"{'an integer' if kind is int else 'a number'}") from None
        if minimum is not None and value < minimum:
            raise ValueError(f"{'an integer' if kind is int else 'a number'} >= {minimum:g}")
        return value
    return parse


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"one of {', '.join(choices)}")
        return raw
    return parse


def _switch(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError("0 or 1")
    return raw == "1"


def _monday(raw: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError("a date YYYY-MM-DD") from None
    if day.isoweekday() != 1:
        raise ValueError("a Monday (YYYY-MM-DD)")
    return day


def _month(raw: str) -> str:
    for form in ("%Y-%m", "%Y-%m-01"):
        try:
            dt.datetime.strptime(raw, form)
            return raw
        except ValueError:
            pass
    raise ValueError("a month YYYY-MM (or YYYY-MM-01)")


def _tls(raw: str) -> str:
    words = {"1": "starttls", "true": "starttls", "yes": "starttls", "starttls": "starttls", "ssl": "ssl",
             "smtps": "ssl", "0": "", "false": "", "no": "", "none": ""}
    if raw.lower() not in words:
        raise ValueError("starttls (1, true, yes), ssl (smtps) or none (0, false, no)")
    return words[raw.lower()]


def _location(raw: str) -> str:
    """A folder, or an fsspec URL (file://, s3://, gs://, ...)."""
    if "://" in raw and not urlsplit(raw).scheme.replace("+", "").isalnum():
        raise ValueError("a folder or an fsspec URL")
    return raw


def _text(raw: str) -> str:
    return raw


@dataclass(frozen=True)
class Variable:
    name: str
    parse: Callable[[str], Any]
    default: Any
    doc: str
    secret: bool = False
    group: str = "platform"


_PG = ("postgresql", "postgresql+psycopg2")
VARIABLES: dict[str, Variable] = {v.name: v for v in [
    # warehouse and roles
    Variable("EDU_WAREHOUSE_URL", _url(_PG), None, "warehouse PostgreSQL (admin URL for setup; location for the roles)", True, "warehouse"),
    Variable("EDU_DAGSTER_STORAGE_URL", _url(_PG), None, "Dagster's runs/events/schedules storage", True, "warehouse"),
    Variable("EDU_RUN_AS_ROLES", _switch, True, "run-time steps log in as their least-privilege role", False, "warehouse"),
    Variable("EDU_LOADER_PASSWORD", _text, None, "password of edu_loader", True, "warehouse"),
    Variable("EDU_TRANSFORMER_PASSWORD", _text, None, "password of edu_transformer", True, "warehouse"),
    Variable("EDU_BI_READER_PASSWORD", _text, None, "password of bi_reader", True, "warehouse"),
    # sources
    Variable("OULAD_SOURCE", _location, None, "folder or fsspec URL with the seven OULAD CSVs", False, "oulad"),
    Variable("EDU_OULAD_SCALE", _number(float, 0), 0.02, "scale of the default synthetic OULAD", False, "oulad"),
    Variable("DOST_SOURCE_URL", _url(_PG), None, "the Dost call-campaign database", True, "dost"),
    Variable("DOST_FIRST_WEEK", _monday, None, "first weekly partition (a Monday)", False, "dost"),
    Variable("DOST_UPDATED_AT_LAG_HOURS", _number(float, 0), 24.0, "lag for late corrections", False, "dost"),
    Variable("DOST_SQL_BACKEND", _choice("connectorx", "pyarrow"), "connectorx", "dlt sql_database backend", False, "dost"),
    Variable("EDU_DOST_SCALE", _number(float, 0), 0.3, "size of the default synthetic Dost source", False, "dost"),
    Variable("EDU_DOST_WEEKS", _number(int, 1), 10, "weeks of the default synthetic Dost source", False, "dost"),
    Variable("UDACITY_SOURCE", _location, None, "root of the landed course files", False, "udacity"),
    Variable("UDACITY_START_MONTH", _month, "2026-08", "first monthly partition", False, "udacity"),
    Variable("EDU_UDACITY_SCALE", _number(float, 0), 0.01, "scale of the default synthetic course files", False, "udacity"),
    # personal data
    Variable("EDU_PII_SALT", _text, None, "salt for hashing phone numbers and other personal data", True, "pii"),
    # alerts
    Variable("EDU_ALERT_WEBHOOK_URL", _url(("http", "https")), None, "Slack-compatible incoming webhook", True, "alerts"),
    Variable("EDU_ALERT_SMTP_HOST", _text, None, "SMTP server for e-mail alerts", False, "alerts"),
    Variable("EDU_ALERT_SMTP_PORT", _number(int, 1), None, "SMTP port", False, "alerts"),
    Variable("EDU_ALERT_SMTP_FROM", _text, "edu-platform@localhost", "sender address", False, "alerts"),
    Variable("EDU_ALERT_SMTP_TO", _text, None, "comma-separated recipients", False, "alerts"),
    Variable("EDU_ALERT_SMTP_USER", _text, None, "SMTP login", False, "alerts"),
    Variable("EDU_ALERT_SMTP_PASSWORD", _text, None, "SMTP password", True, "alerts"),
    Variable("EDU_ALERT_SMTP_TLS", _tls, "", "SMTP transport security", False, "alerts"),
    Variable("EDU_ALERT_LOOKBACK_HOURS", _number(float, 0), 24.0, "how far the first alert tick looks back", False, "alerts"),
    Variable("EDU_ALERT_GIVE_UP_HOURS", _number(float, 0), 24.0, "when an undeliverable alert is given up", False, "alerts"),
    Variable("EDU_ALERT_RETRY_BACKOFF_SECONDS", _number(float, 0), 0.5, "first pause between delivery tries", False, "alerts"),
    Variable("EDU_DAGSTER_UI_URL", _url(("http", "https")), "http://127.0.0.1:3000", "base URL in alert links", False, "alerts"),
    # automation and local state
    Variable("EDU_SCHEDULES_RUNNING", _switch, False, "schedules start running", False, "automation"),
    Variable("EDU_SENSORS_RUNNING", _switch, False, "sensors start running", False, "automation"),
    Variable("EDU_STATE_DIR", _text, None, "local state (embedded PostgreSQL, dlt pipelines, landing)", False, "local"),
    Variable("EDU_DLT_PIPELINES_DIR", _text, None, "dlt's pipeline state", False, "local"),
    Variable("EDU_DBT_TARGET_PATH", _text, None, "dbt's target folder", False, "local"),
    Variable("EDU_PLATFORM_HOME", _text, None, "the checkout or image folder holding dbt/ and dagster.yaml", False, "local"),
]}


def setting(name: str) -> Any:
    """The variable's parsed value, its declared default when unset or empty; a bad value raises ConfigError."""
    variable = VARIABLES[name]
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return variable.default
    try:
        return variable.parse(raw)
    except ValueError as exc:
        shown = "(secret)" if variable.secret else repr(raw)
        raise ConfigError(f"{name}={shown}: expected {exc}") from None


def is_set(name: str) -> bool:
    return os.environ.get(name, "").strip() != ""


def check_environment() -> None:
    """Parse every declared variable; one error naming each bad one (run when the code location loads)."""
    errors = []
    for name in VARIABLES:
        try:
            setting(name)
        except ConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise ConfigError("; ".join(errors))


# ---------------------------------------------------------------------------------- Dagster resources


def _value(name: str):
    """EnvVar for a set secret (the UI shows the variable's name, never the value), else the parsed value."""
    if VARIABLES[name].secret and is_set(name):
        return EnvVar(name)
    value = setting(name)
    return None if value is None else str(value) if not isinstance(value, (bool, int, float)) else value


class WarehouseConfig(ConfigurableResource):
    """The warehouse: its URL (admin, used by `edu-platform setup` only), Dagster's storage, and the roles."""

    url: Optional[str] = Field(default=None, description="EDU_WAREHOUSE_URL; unset: the embedded PostgreSQL")
    dagster_storage_url: Optional[str] = Field(default=None, description="EDU_DAGSTER_STORAGE_URL")
    run_as_roles: bool = Field(default=True, description="EDU_RUN_AS_ROLES")
    loader_password: Optional[str] = Field(default=None, description="EDU_LOADER_PASSWORD")
    transformer_password: Optional[str] = Field(default=None, description="EDU_TRANSFORMER_PASSWORD")
    bi_reader_password: Optional[str] = Field(default=None, description="EDU_BI_READER_PASSWORD")


class OuladSourceConfig(ConfigurableResource):
    """Where the OULAD CSVs are; unset: synthetic files in the landing folder."""

    location: Optional[str] = Field(default=None, description="OULAD_SOURCE")
    synthetic_scale: float = Field(default=0.02, description="EDU_OULAD_SCALE")


class DostSourceConfig(ConfigurableResource):
    """The Dost call-campaign database and its weekly partitions."""

    url: Optional[str] = Field(default=None, description="DOST_SOURCE_URL; unset: the synthetic source database")
    first_week: Optional[str] = Field(default=None, description="DOST_FIRST_WEEK")
    updated_at_lag_hours: float = Field(default=24.0, description="DOST_UPDATED_AT_LAG_HOURS")
    sql_backend: str = Field(default="connectorx", description="DOST_SQL_BACKEND")


class UdacitySourceConfig(ConfigurableResource):
    """The landed course files (nanodegree/year/month folders)."""

    location: Optional[str] = Field(default=None, description="UDACITY_SOURCE")
    start_month: str = Field(default="2026-08", description="UDACITY_START_MONTH")


class AlertChannelsConfig(ConfigurableResource):
    """Where alerts go besides ops.alert_log: a webhook and/or e-mail."""

    webhook_url: Optional[str] = Field(default=None, description="EDU_ALERT_WEBHOOK_URL")
    smtp_host: Optional[str] = Field(default=None, description="EDU_ALERT_SMTP_HOST")
    smtp_port: Optional[int] = Field(default=None, description="EDU_ALERT_SMTP_PORT")
    smtp_to: Optional[str] = Field(default=None, description="EDU_ALERT_SMTP_TO")
    smtp_password: Optional[str] = Field(default=None, description="EDU_ALERT_SMTP_PASSWORD")
    ui_url: str = Field(default="http://127.0.0.1:3000", description="EDU_DAGSTER_UI_URL")


class PiiConfig(ConfigurableResource):
    """The salt hashing phone numbers and other personal data (a local development salt when unset)."""

    salt: Optional[str] = Field(default=None, description="EDU_PII_SALT")


# each resource field's description starts with the variable that feeds it
_RESOURCES: dict[str, type] = {
    "warehouse_config": WarehouseConfig,
    "oulad_source_config": OuladSourceConfig,
    "dost_source_config": DostSourceConfig,
    "udacity_source_config": UdacitySourceConfig,
    "alert_channels_config": AlertChannelsConfig,
    "pii_config": PiiConfig,
}


def _variable_of(field) -> str:
    return field.description.split(";")[0].strip()


def config_resources() -> dict[str, ConfigurableResource]:
    """The settings as Dagster resources (after check_environment: every value already parses)."""
    out = {}
    for key, cls in _RESOURCES.items():
        values = {attr: _value(_variable_of(field)) for attr, field in cls.model_fields.items()}
        out[key] = cls(**{attr: value for attr, value in values.items() if value is not None})
    return out
