"""The configuration layer: every variable parsed one declared way; a bad value fails the code location's load
naming the variable and what it expected; settings shown as resources with secrets as variable names."""

import os
import subprocess
import sys

import pytest
from dagster import EnvVar

from edu_platform.lib.config import VARIABLES, ConfigError, check_environment, config_resources, setting

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`


@pytest.mark.parametrize("name, raw, expected", [
    ("EDU_WAREHOUSE_URL", "mysql://me@db/edu", "EDU_WAREHOUSE_URL=(secret): expected a postgresql:// / postgresql+psycopg2:// URL"),
    ("DOST_SQL_BACKEND", "duckdb", "DOST_SQL_BACKEND='duckdb': expected one of connectorx, pyarrow"),
    ("EDU_ALERT_LOOKBACK_HOURS", "-3", "EDU_ALERT_LOOKBACK_HOURS='-3': expected a number >= 0"),
    ("EDU_DOST_WEEKS", "ten", "EDU_DOST_WEEKS='ten': expected an integer"),
    ("DOST_FIRST_WEEK", "2026-01-06", "DOST_FIRST_WEEK='2026-01-06': expected a Monday (YYYY-MM-DD)"),
    ("UDACITY_START_MONTH", "August", "UDACITY_START_MONTH='August': expected a month YYYY-MM"),
    ("EDU_ALERT_WEBHOOK_URL", "hooks.example.org/x", "EDU_ALERT_WEBHOOK_URL=(secret): expected a http:// / https:// URL"),
    ("EDU_SCHEDULES_RUNNING", "yes", "EDU_SCHEDULES_RUNNING='yes': expected 0 or 1"),
])
def test_a_bad_value_names_the_variable_and_what_it_expected(monkeypatch, name, raw, expected):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigError) as err:
        setting(name)
    assert str(err.value).startswith(expected)
    with pytest.raises(ConfigError, match=name):
        check_environment()


def test_values_parse_to_their_types_and_defaults(monkeypatch):
    monkeypatch.setenv("EDU_DOST_WEEKS", "4")
    monkeypatch.setenv("DOST_FIRST_WEEK", "2026-01-05")
    monkeypatch.delenv("DOST_UPDATED_AT_LAG_HOURS", raising=False)
    monkeypatch.setenv("EDU_ALERT_SMTP_TLS", "true")
    assert setting("EDU_DOST_WEEKS") == 4
    assert setting("DOST_FIRST_WEEK").isoweekday() == 1
    assert setting("DOST_UPDATED_AT_LAG_HOURS") == 24.0
    assert setting("EDU_ALERT_SMTP_TLS") == "starttls"
    check_environment()  # the test session's own environment is valid


def test_the_code_location_refuses_to_load_with_a_bad_value():
    env = {**os.environ, "DOST_SQL_BACKEND": "duckdb", "EDU_ALERT_SMTP_PORT": "0"}
    done = subprocess.run([sys.executable, "-c", "import edu_platform.definitions"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "DOST_SQL_BACKEND='duckdb': expected one of connectorx, pyarrow" in last
    assert "EDU_ALERT_SMTP_PORT='0': expected an integer >= 1" in last


def test_resources_show_secrets_as_variable_names(monkeypatch):
    monkeypatch.setenv("EDU_PII_SALT", "a-real-salt-value")
    monkeypatch.setenv("EDU_LOADER_PASSWORD", "loader-pw-123")
    monkeypatch.setenv("OULAD_SOURCE", "/data/oulad")
    resources = config_resources()
    assert isinstance(resources["pii_config"].salt, EnvVar) and resources["pii_config"].salt == "EDU_PII_SALT"
    assert resources["warehouse_config"].loader_password == "EDU_LOADER_PASSWORD"
    assert resources["oulad_source_config"].location == "/data/oulad"
    rendered = repr(resources)
    assert "a-real-salt-value" not in rendered and "loader-pw-123" not in rendered


def test_every_variable_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name for name in VARIABLES if name not in readme and not name.startswith("EDU_ALERT_SMTP_")
               and name not in ("EDU_DLT_PIPELINES_DIR", "EDU_DBT_TARGET_PATH", "EDU_PLATFORM_HOME")]
    assert not missing
