"""A failing dbt test's check result carries a sample of the failing keys, beside dagster-dbt's failed-row count.

After the build, the failed test's compiled SQL (dbt's run_results.json) runs again as the transformer role,
wrapped as `select <key columns> from (<test sql>) limit 5`. Only key columns are ever selected (the test's
column or columns, the model's key, the names dbt's generic tests give them, and the figures of a reconciliation
test): never whole rows, so no personal data reaches the event log. dbt's own `store_failures` was the other way;
it writes whole failing rows (`select *`) to tables in an audit schema, which would put personal data in the
warehouse and needs the transformer to create schemas.
"""

import re
from typing import Any, Iterable, Iterator, Mapping, Optional

from dagster import AssetCheckResult, MetadataValue
from psycopg2 import sql

SAMPLE_SIZE = 5
SAMPLE_KEY = "failing_keys_sample"
# the columns dbt's generic tests name in their output (unique, accepted_values, relationships) and their counts
_TEST_OUTPUT_KEYS = ("unique_field", "value_field", "from_field")
_TEST_OUTPUT_COUNTS = ("n_records", "n_rows")
# reconciliation tests return one row of figures, not rows of the model: the figures are the sample
_FIGURE_TESTS = {"equal_rowcount": ("model_rows", "compare_rows"), "equal_sum": ("measure", "model_total", "compare_total"),
                 "max_null_share": ("null_share",)}


def with_failing_keys(events: Iterable, invocation) -> Iterator:
    """dagster-dbt's events, with each failed test's check result (FAIL or WARN) held until the build ends and then
    given a `failing_keys_sample`: up to five of its failing keys, as text."""
    held: list[AssetCheckResult] = []
    try:
        for event in events:
            if _failed(event):
                held.append(event)
            else:
                yield event
    except Exception:
        yield from _sampled(held, invocation)
        raise
    yield from _sampled(held, invocation)


def _failed(event) -> bool:
    if not isinstance(event, AssetCheckResult) or event.passed:
        return False
    status = (event.metadata or {}).get("status")
    return str(getattr(status, "value", status)) in ("fail", "warn")


def _sampled(held: list[AssetCheckResult], invocation) -> Iterator[AssetCheckResult]:
    if not held:
        return
    compiled = _compiled_sql(invocation)
    for event in held:
        unique_id = _value(event.metadata.get("unique_id"))
        try:
            sample = failing_keys(invocation.manifest, unique_id, compiled.get(unique_id))
        except Exception as exc:  # the sample is a help: its failure never hides the check result
            sample = f"sample not taken: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        yield event._replace(metadata={**event.metadata, SAMPLE_KEY: MetadataValue.text(sample)}) if sample else event


def _value(entry):
    return getattr(entry, "value", entry)


def _compiled_sql(invocation) -> dict[str, str]:
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # dbt stopped before writing it
        return {}
    return {r["unique_id"]: r.get("compiled_code") for r in results if r.get("compiled_code")}


def model_key(manifest: Mapping[str, Any], model_id: Optional[str]) -> list[str]:
    """A model's key as its tests declare it: the columns of its `unique_combination_of_columns` test, else the
    column of its `unique` test."""
    combination, single = None, None
    for node in manifest["nodes"].values():
        if node.get("resource_type") != "test" or node.get("attached_node") != model_id:
            continue
        meta = node.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        if meta.get("name") == "unique_combination_of_columns" and combination is None:
            combination = list(kwargs.get("combination_of_columns") or [])
        elif meta.get("name") == "unique" and single is None:
            single = [node.get("column_name") or kwargs.get("column_name")]
    return [c for c in (combination or single or []) if c]


def key_columns(manifest: Mapping[str, Any], test: Mapping[str, Any]) -> list[str]:
    """The columns a failed test's sample may show, in order: what its output names keys, the model's key, the
    test's column(s), then the counts."""
    meta = test.get("test_metadata") or {}
    kind = meta.get("name")
    kwargs = meta.get("kwargs") or {}
    if kind in _FIGURE_TESTS:
        return list(_FIGURE_TESTS[kind])
    own = list(kwargs.get("combination_of_columns") or []) + [test.get("column_name") or kwargs.get("column_name")]
    columns = [*_TEST_OUTPUT_KEYS, *model_key(manifest, test.get("attached_node")), *own, *_TEST_OUTPUT_COUNTS]
    return list(dict.fromkeys(c for c in columns if c))


def failing_keys(manifest: Mapping[str, Any], unique_id: Optional[str], compiled: Optional[str]) -> Optional[str]:
    """Up to five failing keys of test `unique_id` as `col=value, ...; ...`, read by re-running its compiled SQL as the
    transformer role; None when the test's output has no key column."""
    from edu_platform.lib.warehouse import warehouse_as

    test = manifest["nodes"].get(unique_id) if unique_id else None
    if test is None or not compiled:
        return None
    wanted = key_columns(manifest, test)
    query = sql.SQL(compiled.strip().rstrip(";"))
    with warehouse_as("transformer").cursor() as cur:
        cur.execute("set statement_timeout = '120s'")
        cur.execute(sql.SQL("select * from ({}) failing limit 0").format(query))
        output = [d.name for d in cur.description]
        columns = [c for c in wanted if c in output]
        if (test.get("test_metadata") or {}).get("name") == "not_null":
            columns, query = _not_null_keys(manifest, test, compiled)
        if not columns:
            return None
        cur.execute(
            sql.SQL("select distinct {} from ({}) failing limit {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), query, sql.Literal(SAMPLE_SIZE)
            )
        )
        rows = cur.fetchall()
    tested = test.get("column_name") or ((test.get("test_metadata") or {}).get("kwargs") or {}).get("column_name")
    labels = [tested if c in _TEST_OUTPUT_KEYS and tested else c for c in columns]  # unique_field -> the tested column
    return "; ".join(", ".join(f"{c}={_short(v)}" for c, v in zip(labels, row)) for row in rows)


def _not_null_keys(manifest, test, compiled: str) -> tuple[list[str], sql.Composable]:
    """A not_null test returns only the empty column (`select <column> from ...`): its failing rows are named by the
    model's key instead, from the same SQL selecting every column."""
    key = model_key(manifest, test.get("attached_node"))
    column = test.get("column_name") or ((test.get("test_metadata") or {}).get("kwargs") or {}).get("column_name")
    every, found = re.subn(rf"^\s*select\s+{re.escape(column or '')}\s+from\b", "select * from", compiled, count=1, flags=re.IGNORECASE)
    if not key or not column or not found:
        return [], sql.SQL("")
    return key, sql.SQL(every.strip().rstrip(";"))


def _short(value) -> str:
    text = "null" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
