"""dbt parses the project once per connection, not once per partition: a run's window reaches the models as run
values read when dbt executes (`run_var`), and each connection keeps its own partial-parse state
(`edu_platform.lib.dbt.invoke_dbt`)."""

from edu_platform.lib.dbt import dbt_resource, invoke_dbt
from edu_platform_tests.helpers import environment, make_database

WINDOW_SQL = "select '{{ run_var(\"min_date\") }}' as min_date, '{{ run_var(\"nanodegrees\", []) | join(\",\") }}' as nanodegrees"


def _compile(connection: dict, run_values: dict) -> tuple[str, str]:
    """The compiled inline SQL and the invocation's dbt log."""
    with invoke_dbt(dbt_resource(), ["compile", "--inline", WINDOW_SQL], connection, run_values) as invocation:
        invocation.wait()
    compiled = invocation.get_artifact("run_results.json")["results"][0]["compiled_code"]
    return compiled, (invocation.target_path / "dbt.log").read_text()


def test_a_new_window_reuses_the_connections_parse_and_reaches_the_models():
    wh = make_database("dbt_parse")
    connection = wh.dbt_env()
    with environment(**connection):
        first, _ = _compile(connection, {"min_date": "2026-11-02", "max_date": "2026-11-09", "nanodegrees": ["ai"]})
        second, log = _compile(connection, {"min_date": "2026-11-09", "max_date": "2026-11-16", "nanodegrees": ["ai", "web"]})
    assert "'2026-11-02' as min_date, 'ai' as nanodegrees" in first
    assert "'2026-11-09' as min_date, 'ai,web' as nanodegrees" in second
    # the second window on the same connection: dbt reads the kept parse instead of parsing every file again
    assert "Unable to do partial parsing" not in log
    assert "Partial parsing enabled" in log or "Nothing changed, skipping partial parsing" in log


def test_without_run_values_the_project_defaults_cover_all_history():
    wh = make_database("dbt_parse_defaults")
    with environment(**wh.dbt_env()):
        compiled, _ = _compile(wh.dbt_env(), {})
    assert "'1900-01-01' as min_date, '' as nanodegrees" in compiled
