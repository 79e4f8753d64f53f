"""Bronze data-quality checks, declared once per table as a contract and generated for every source."""

from dataclasses import dataclass, field

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, asset_check, multi_asset_check
from psycopg2 import sql

from edu_platform.lib.dlt_pipelines import BRONZE_SCHEMA, bronze_table
from edu_platform.lib.warehouse import warehouse_as

SAMPLE_SIZE = 5
STAGING_SCHEMA = f"{BRONZE_SCHEMA}_staging"  # where dlt stages a merge load (kept until the next load)


@dataclass(frozen=True)
class TableContract:
    """What a bronze table promises: its key, the columns that must be present, the ones that must be numbers."""

    table: str
    keys: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    columns: tuple[str, ...] = field(default=(), compare=False)
    # the source promises unique keys, so a key repeated within one load is a defect, not a newer version
    unique_in_source: bool = False
    # the key the source promises unique, when bronze keeps several versions per key (keys + updated_at)
    source_keys: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "required", tuple(dict.fromkeys(self.keys + self.required)))


def _missing(column: str) -> sql.Composable:
    return sql.SQL("({c} IS NULL OR {c}::text IN ('?', ''))").format(c=sql.Identifier(column))


def _relation(source: str, table: str) -> sql.Composable:
    return sql.Identifier(BRONZE_SCHEMA, bronze_table(source, table))


def _exists(cur, source: str, table: str, schema: str = BRONZE_SCHEMA) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.{bronze_table(source, table)}",))
    return cur.fetchone()[0]


def _nothing_landed(check_name: str, asset_key: AssetKey | None = None, **metadata) -> AssetCheckResult:
    """dlt creates a table with its first row: before that there is nothing to fail."""
    return AssetCheckResult(
        asset_key=asset_key, check_name=check_name, passed=True, severity=AssetCheckSeverity.ERROR,
        description="no rows have landed yet (the table is created with the first one)",
        metadata={"failing_rows": 0, **metadata},
    )


def duplicate_keys(source: str, contract: TableContract) -> AssetCheckResult:
    """Keys repeated in bronze; with `unique_in_source`, also keys repeated within the last load (dlt's staging
    copy of it), which a merge on the key would otherwise collapse to one row without a word."""
    with warehouse_as("loader").cursor() as cur:
        if not _exists(cur, source, contract.table):
            return _nothing_landed("duplicate_keys", duplicate_keys=0)
        dup_keys, dup_rows, sample = _duplicates(cur, _relation(source, contract.table), contract.keys)
        where = ""
        if contract.unique_in_source:
            if _exists(cur, source, contract.table, STAGING_SCHEMA):
                staged = _duplicates(cur, sql.Identifier(STAGING_SCHEMA, bronze_table(source, contract.table)),
                                     contract.source_keys or contract.keys)
                if staged[0]:
                    where = f"; {staged[0]} of them repeated within the last load (the source repeats them; bronze kept one version)"
                dup_keys, dup_rows, sample = dup_keys + staged[0], dup_rows + staged[1], (sample or []) + (staged[2] or [])
    return AssetCheckResult(
        passed=dup_keys == 0,
        severity=AssetCheckSeverity.ERROR,
        description=f"{dup_keys} duplicated keys ({', '.join(contract.keys)}) over {dup_rows} rows{where}",
        metadata={"failing_rows": int(dup_rows), "duplicate_keys": int(dup_keys), "sample_keys": list(sample or [])[:SAMPLE_SIZE]},
    )


def _duplicates(cur, rel: sql.Composable, key_columns: tuple[str, ...]) -> tuple[int, int, list]:
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in key_columns)
    cur.execute(sql.SQL(
        "SELECT count(*), coalesce(sum(n), 0), (array_agg(k ORDER BY n DESC))[1:{s}] FROM ("
        " SELECT concat_ws('|', {keys}) AS k, count(*) AS n FROM {rel} GROUP BY {keys} HAVING count(*) > 1) d"
    ).format(keys=keys, rel=rel, s=sql.Literal(SAMPLE_SIZE)))
    return cur.fetchone()


def _invalid_number(column: str, fast: bool) -> sql.Composable:
    """A value present but not a number. PostgreSQL 16+ validates natively; 15 falls back to a pattern."""
    c = sql.Identifier(column)
    test = (  # numeric input allows surrounding blanks, so no trim (a third of the check's time)
        sql.SQL("NOT pg_input_is_valid({c}::text, 'numeric')").format(c=c)
        if fast
        else sql.SQL("{c}::text !~ {p}").format(c=c, p=sql.Literal(r"^\s*[-+]?[0-9]+(\.[0-9]+)?\s*$"))
    )
    return sql.SQL("({c} IS NOT NULL AND {c}::text NOT IN ('?', '') AND {t})").format(c=c, t=test)


def _sample(cur, rel, columns, condition) -> list[str]:
    expr = sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    cur.execute(sql.SQL("SELECT {} FROM {} WHERE {} LIMIT {}").format(expr, rel, condition, sql.Literal(SAMPLE_SIZE)))
    return [r[0] for r in cur.fetchall()]


def profile_table(source: str, contract: TableContract) -> dict[str, AssetCheckResult]:
    """Missing required values and non-numbers per column, counted in one scan of the table. Only when a column
    fails does a second scan count the failing rows and sample them (each test is evaluated once per value on
    the passing path: on the 10 M-row studentVle that halves the check)."""
    rel = _relation(source, contract.table)
    asset_key = AssetKey([BRONZE_SCHEMA, source, contract.table])
    results: dict[str, AssetCheckResult] = {}
    with warehouse_as("loader").cursor() as cur:
        if not _exists(cur, source, contract.table):
            names = (["required_not_null"] if contract.required else []) + (["numeric_values"] if contract.numeric else [])
            return {name: _nothing_landed(name, asset_key) for name in names}
        cur.execute("SELECT current_setting('server_version_num')::int >= 160000")
        fast = cur.fetchone()[0]
        any_missing = sql.SQL(" OR ").join(_missing(c) for c in contract.required) if contract.required else None
        any_invalid = sql.SQL(" OR ").join(_invalid_number(c, fast) for c in contract.numeric) if contract.numeric else None
        aggregates = [sql.SQL("count(*) FILTER (WHERE {})").format(_missing(c)) for c in contract.required]
        aggregates += [sql.SQL("count(*) FILTER (WHERE {})").format(_invalid_number(c, fast)) for c in contract.numeric]
        cur.execute(sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(aggregates), rel))
        row = list(cur.fetchone())
        missing_by_column = dict(zip(contract.required, row[: len(contract.required)]))
        invalid_by_column = dict(zip(contract.numeric, row[len(contract.required) :]))

        def failing_rows(condition, by_column) -> int:
            if not any(by_column.values()):
                return 0
            cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(rel, condition))
            return cur.fetchone()[0]

        key_cols = contract.keys or contract.required
        if any_missing is not None:
            failing = failing_rows(any_missing, missing_by_column)
            bad = {c: int(n) for c, n in missing_by_column.items() if n}
            results["required_not_null"] = AssetCheckResult(
                asset_key=asset_key,
                check_name="required_not_null",
                passed=failing == 0,
                severity=AssetCheckSeverity.ERROR,
                description=f"{failing} rows miss a required column" + (f": {bad}" if bad else ""),
                metadata={
                    "failing_rows": int(failing),
                    "missing_by_column": bad,
                    "sample_keys": _sample(cur, rel, key_cols, any_missing) if failing else [],
                },
            )
        if any_invalid is not None:
            failing = failing_rows(any_invalid, invalid_by_column)
            bad = {c: int(n) for c, n in invalid_by_column.items() if n}
            results["numeric_values"] = AssetCheckResult(
                asset_key=asset_key,
                check_name="numeric_values",
                passed=failing == 0,
                severity=AssetCheckSeverity.ERROR,
                description=f"{failing} rows quarantined: non-numeric value in {', '.join(bad) or ', '.join(contract.numeric)}",
                metadata={
                    "failing_rows": int(failing),
                    "invalid_by_column": bad,
                    "sample_values": _sample(cur, rel, contract.numeric, any_invalid) if failing else [],
                },
            )
    return results


def schema_drift(source: str, contract: TableContract) -> AssetCheckResult:
    """A column the source added is carried into bronze (nothing dropped) and reported here as a warning."""
    with warehouse_as("loader").cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
            (BRONZE_SCHEMA, bronze_table(source, contract.table)),
        )
        present = [r[0] for r in cur.fetchall() if not r[0].startswith("_dlt")]
    new = sorted(set(present) - set(contract.columns))
    return AssetCheckResult(
        passed=not new,
        severity=AssetCheckSeverity.WARN,
        description=f"new columns carried through bronze: {new}" if new else "columns as declared",
        metadata={"new_columns": new, "failing_rows": 0},
    )


def bronze_checks(source: str, contracts: list[TableContract]) -> list:
    """For every declared table: blocking checks (duplicate keys; missing required values and non-numbers,
    counted in one scan) and a warning when the source added columns the contract does not declare."""
    checks = []
    for contract in contracts:
        key = AssetKey([BRONZE_SCHEMA, source, contract.table])
        if contract.keys:
            checks.append(_single(key, "duplicate_keys", duplicate_keys, source, contract,
                                  f"No two rows share ({', '.join(contract.keys)}).", blocking=True))
        specs = []
        if contract.required:
            specs.append(AssetCheckSpec("required_not_null", asset=key, blocking=True,
                                        description=f"{', '.join(contract.required)} are present."))
        if contract.numeric:
            specs.append(AssetCheckSpec("numeric_values", asset=key, blocking=True,
                                        description=f"{', '.join(contract.numeric)} hold numbers (bad rows are quarantined)."))
        if specs:
            checks.append(_profile(key, specs, source, contract))
        if contract.columns:
            checks.append(_single(key, "schema_drift", schema_drift, source, contract,
                                  "Columns match the declared ones.", blocking=False))
    return checks


def _single(key, check_name, fn, source, contract, description, blocking):
    @asset_check(asset=key, name=check_name, blocking=blocking, description=description)
    def _check():
        return fn(source, contract)

    return _check


def _profile(key, specs, source, contract):
    @multi_asset_check(specs=specs, name=f"{source}_{contract.table}_profile")
    def _checks():
        yield from profile_table(source, contract).values()

    return _checks
