"""The configuration layer: every variable parsed one declared way; a bad value fails the code location's load
naming the variable and what it expected; settings shown as resources with secrets as variable names."""

import os
import subprocess
import sys

import pytest
from dagster import EnvVar

from edu_platform.lib.config import ConfigError, check_environment, config_resources, setting, variables_table

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
    ("EDU_SENSORS_RUNNING", "true", "EDU_SENSORS_RUNNING='true': expected 0 or 1"),
    ("EDU_NOW", "next tuesday", "EDU_NOW='next tuesday': expected an ISO date or datetime"),
    ("EDU_LOADER_ROLE", "Loader; drop", "EDU_LOADER_ROLE='Loader; drop': expected lower-case letters, digits and '_' only"),
    ("EDU_TRANSFORMER_ROLE", "dbt-user", "EDU_TRANSFORMER_ROLE='dbt-user': expected lower-case letters"),
    ("EDU_BI_READER_ROLE", "BI", "EDU_BI_READER_ROLE='BI': expected lower-case letters"),
    ("EDU_PLANNER_SETTINGS", "maybe", "EDU_PLANNER_SETTINGS='maybe': expected true or false"),
    ("EDU_METABASE_URL", "localhost:3001", "EDU_METABASE_URL='localhost:3001': expected a http:// / https:// URL"),
    ("EDU_METABASE_WAREHOUSE_PORT", "pg", "EDU_METABASE_WAREHOUSE_PORT='pg': expected an integer"),
    ("DOST_SOURCE_URL", "dost.example.org/calls", "DOST_SOURCE_URL=(secret): expected a postgresql://"),
    ("OULAD_SOURCE", "s 3://bucket", "OULAD_SOURCE='s 3://bucket': expected a folder or an fsspec URL"),
    ("UDACITY_START_MONTH", "2026-13", "UDACITY_START_MONTH='2026-13': expected a month YYYY-MM"),
    ("EDU_OULAD_SCALE", "-1", "EDU_OULAD_SCALE='-1': expected a number >= 0"),
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
    env = {**os.environ, "DOST_SQL_BACKEND": "duckdb", "EDU_ALERT_SMTP_PORT": "0", "EDU_NOW": "tomorrow",
           "EDU_LOADER_ROLE": "Loader", "EDU_SENSORS_RUNNING": "yes"}
    done = subprocess.run([sys.executable, "-c", "import edu_platform.definitions"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "DOST_SQL_BACKEND='duckdb': expected one of connectorx, pyarrow" in last
    assert "EDU_ALERT_SMTP_PORT='0': expected an integer >= 1" in last
    # every bad one in the same line: the check runs before any module reads a setting of its own
    for name in ("EDU_NOW='tomorrow'", "EDU_LOADER_ROLE='Loader'", "EDU_SENSORS_RUNNING='yes'"):
        assert name in last


def test_dlt_sends_no_telemetry_from_a_process_that_loads_the_definitions():
    """dlt reads its runtime settings once, at the first source built, and the definitions build sources at import
    time: the platform's settings must be in place before that, or dlt posts usage events to dlthub from every
    run. The variable is unset here, as on a user's machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNTIME__")}
    probe = ("import edu_platform.definitions, dlt; from dlt.common.runtime import anon_tracker;"
             " print(dlt.current.run_context().runtime_config.dlthub_telemetry, anon_tracker._ANON_TRACKER_ENDPOINT)")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["False", "None"], done.stdout[-500:]


def test_importing_the_package_stays_light():
    """The package exports dlt's settings when imported; every process imports it, dbt's own subprocess
    (`edu-platform-dbt`) at each dbt step included, so that import must not pull in Dagster or a database driver."""
    probe = "import sys, edu_platform.lib.dbt_command; print(sorted({'dagster', 'dlt', 'psycopg2'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "[]", done.stdout[-500:]


def test_the_modules_ask_the_layer(monkeypatch):
    """What each former direct reader now gets from the layer: parsed values, the same defaults."""
    from dagster import DefaultScheduleStatus, DefaultSensorStatus

    from edu_platform.lib import partitions, redaction, schedules
    from edu_platform.metabase.provision import WarehouseAsSeenByMetabase

    assert schedules.default_schedule_status() == DefaultScheduleStatus.STOPPED
    monkeypatch.setenv("EDU_SCHEDULES_RUNNING", "1")
    monkeypatch.setenv("EDU_SENSORS_RUNNING", "1")
    assert schedules.default_schedule_status() == DefaultScheduleStatus.RUNNING
    assert schedules.default_sensor_status() == DefaultSensorStatus.RUNNING
    monkeypatch.setenv("EDU_NOW", "2027-12-01T10:00:00Z")
    assert str(partitions.utc_now().date()) == "2027-12-01"
    assert WarehouseAsSeenByMetabase.from_env().port == 5432  # the declared default, parsed to an int
    monkeypatch.setenv("EDU_METABASE_WAREHOUSE_PORT", "6432")
    assert WarehouseAsSeenByMetabase.from_env().port == 6432
    # a password is used exactly as given (its blanks are part of it); redaction sees undeclared *_TOKEN too
    monkeypatch.setenv("EDU_BI_READER_PASSWORD", " pw with blanks ")
    assert setting("EDU_BI_READER_PASSWORD") == " pw with blanks "
    monkeypatch.setenv("SOME_CLOUD_TOKEN", "tok-123456")
    assert redaction.redact("token tok-123456 used") == "token *** used"


def test_the_readme_table_is_the_declared_variables():
    """The README's table is `variables_table()` verbatim: each variable, its type, default and meaning, written
    once (in lib/config.py); regenerate with `python -c "from edu_platform.lib.config import variables_table;
    print(variables_table())"`."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert variables_table() in readme


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
