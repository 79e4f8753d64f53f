"""Bronze data-quality checks, generated for every source from its tables' declarations (`BronzeTable`)."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, asset_check, multi_asset_check
from psycopg2 import sql

from edu_platform.lib.tables import BRONZE_SCHEMA, BronzeTable
from edu_platform.lib.warehouse import warehouse_as

SAMPLE_SIZE = 5
STAGING_SCHEMA = f"{BRONZE_SCHEMA}_staging"  # where dlt stages a merge load (kept until the next load)


def _missing(column: str) -> sql.Composable:
    return sql.SQL("({c} IS NULL OR {c}::text IN ('?', ''))").format(c=sql.Identifier(column))


def _relation(table: BronzeTable) -> sql.Composable:
    return sql.Identifier(BRONZE_SCHEMA, table.relation)


def _exists(cur, table: BronzeTable, schema: str = BRONZE_SCHEMA) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.{table.relation}",))
    return cur.fetchone()[0]


def _nothing_landed(check_name: str, asset_key: AssetKey | None = None, **metadata) -> AssetCheckResult:
    """dlt creates a table with its first row: before that there is nothing to fail."""
    return AssetCheckResult(
        asset_key=asset_key, check_name=check_name, passed=True, severity=AssetCheckSeverity.ERROR,
        description="no rows have landed yet (the table is created with the first one)",
        metadata={"failing_rows": 0, **metadata},
    )


def duplicate_keys(table: BronzeTable) -> AssetCheckResult:
    """Keys repeated in bronze; with `unique_in_source`, also keys repeated within the last load (dlt's staging
    copy of it), which a merge on the key would otherwise collapse to one row without a word."""
    with warehouse_as("loader").cursor() as cur:
        if not _exists(cur, table):
            return _nothing_landed("duplicate_keys", duplicate_keys=0)
        dup_keys, dup_rows, sample = _duplicates(cur, _relation(table), table.key)
        where = ""
        if table.unique_in_source:
            if _exists(cur, table, STAGING_SCHEMA):
                staged = _duplicates(cur, sql.Identifier(STAGING_SCHEMA, table.relation), table.source_key)
                if staged[0]:
                    where = f"; {staged[0]} of them repeated within the last load (the source repeats them; bronze kept one version)"
                dup_keys, dup_rows, sample = dup_keys + staged[0], dup_rows + staged[1], (sample or []) + (staged[2] or [])
    return AssetCheckResult(
        passed=dup_keys == 0,
        severity=AssetCheckSeverity.ERROR,
        description=f"{dup_keys} duplicated keys ({', '.join(table.key)}) over {dup_rows} rows{where}",
        metadata={"failing_rows": int(dup_rows), "duplicate_keys": int(dup_keys), "sample_keys": list(sample or [])[:SAMPLE_SIZE]},
    )


def _duplicates(cur, rel: sql.Composable, key_columns: tuple[str, ...]) -> tuple[int, int, list]:
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in key_columns)
    cur.execute(sql.SQL(
        "SELECT count(*), coalesce(sum(n), 0), (array_agg(k ORDER BY n DESC))[1:{s}] FROM ("
        " SELECT concat_ws('|', {keys}) AS k, count(*) AS n FROM {rel} GROUP BY {keys} HAVING count(*) > 1) d"
    ).format(keys=keys, rel=rel, s=sql.Literal(SAMPLE_SIZE)))
    return cur.fetchone()


def _not_a(column: str, type_: str, fast: bool) -> sql.Composable:
    """The value is not valid input for `type_`, which is what silver's cast to it rejects (missing markers, a
    fraction in a whole-number column, a number beyond 32 bits in an `integer` one). PostgreSQL 16+ asks the type's
    own input function; 15 falls back to a pattern, which does not check an integer's range. Numeric input allows
    surrounding blanks, so no trim (a third of the check's time)."""
    c = sql.Identifier(column)
    if fast:
        return sql.SQL("NOT pg_input_is_valid({c}::text, {t})").format(c=c, t=sql.Literal(type_))
    pattern = r"^\s*[-+]?[0-9]+(\.[0-9]+)?\s*$" if type_ == "numeric" else r"^\s*[-+]?[0-9]+\s*$"
    return sql.SQL("{c}::text !~ {p}").format(c=c, p=sql.Literal(pattern))


def _invalid_number(column: str, type_: str, fast: bool) -> sql.Composable:
    """A value present but not a valid `type_`."""
    c = sql.Identifier(column)
    return sql.SQL("({c} IS NOT NULL AND {c}::text NOT IN ('?', '') AND {t})").format(c=c, t=_not_a(column, type_, fast))


def _faulty(table: BronzeTable, column: str, fast: bool) -> sql.Composable:
    """Missing where required, or present and not a valid number where numeric: one test per column, so the
    passing path reads each value once (a required number that is missing is not valid input either)."""
    c = sql.Identifier(column)
    type_ = table.numeric_types.get(column)
    if type_ is None:
        return _missing(column)
    if column in table.required:
        return sql.SQL("({c} IS NULL OR {t})").format(c=c, t=_not_a(column, type_, fast))
    # the validity test first: it is true for almost every row, so the marker test rarely runs
    return sql.SQL("({t} AND {c}::text NOT IN ('?', ''))").format(c=c, t=_not_a(column, type_, fast))


def _sample(cur, rel, columns, condition) -> list[str]:
    expr = sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    cur.execute(sql.SQL("SELECT {} FROM {} WHERE {} LIMIT {}").format(expr, rel, condition, sql.Literal(SAMPLE_SIZE)))
    return [r[0] for r in cur.fetchall()]


def profile_table(table: BronzeTable) -> dict[str, AssetCheckResult]:
    """Missing required values and invalid numbers per column. The passing path reads the table once, testing
    each checked value once (`_faulty`); only when a column is faulty do further scans count missing and invalid
    values apart, count the failing rows and sample them."""
    rel = _relation(table)
    asset_key = AssetKey(table.asset_path)
    results: dict[str, AssetCheckResult] = {}
    with warehouse_as("loader").cursor() as cur:
        if not _exists(cur, table):
            names = (["required_not_null"] if table.required else []) + (["numeric_values"] if table.numeric else [])
            return {name: _nothing_landed(name, asset_key) for name in names}
        cur.execute("SELECT current_setting('server_version_num')::int >= 160000")
        fast = cur.fetchone()[0]
        types = table.numeric_types
        any_missing = sql.SQL(" OR ").join(_missing(c) for c in table.required) if table.required else None
        any_invalid = sql.SQL(" OR ").join(_invalid_number(c, t, fast) for c, t in types.items()) if types else None

        def counts(tests) -> list[int]:
            aggregates = sql.SQL(", ").join(sql.SQL("count(*) FILTER (WHERE {})").format(t) for t in tests)
            cur.execute(sql.SQL("SELECT {} FROM {}").format(aggregates, rel))
            return [int(n) for n in cur.fetchone()]

        checked = tuple(dict.fromkeys(table.required + table.numeric))
        if any(counts(_faulty(table, c, fast) for c in checked)):
            row = counts([*(_missing(c) for c in table.required), *(_invalid_number(c, t, fast) for c, t in types.items())])
        else:
            row = [0] * (len(table.required) + len(types))
        missing_by_column = dict(zip(table.required, row[: len(table.required)]))
        invalid_by_column = dict(zip(table.numeric, row[len(table.required) :]))

        def failing_rows(condition, by_column) -> int:
            if not any(by_column.values()):
                return 0
            cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(rel, condition))
            return cur.fetchone()[0]

        key_cols = table.key or table.required
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
                description=(
                    f"{failing} rows quarantined: a value that is not a valid number of the column's type in"
                    f" {', '.join(f'{c} ({types[c]}): {n} rows' for c, n in bad.items())}" if failing
                    else f"every value of {', '.join(f'{c} ({t})' for c, t in types.items())} is missing or a valid number of that type"
                ),
                metadata={
                    "failing_rows": int(failing),
                    "invalid_by_column": bad,
                    "sample_values": _sample(cur, rel, table.numeric, any_invalid) if failing else [],
                },
            )
    return results


def schema_drift(table: BronzeTable) -> AssetCheckResult:
    """A column the source added is carried into bronze (nothing dropped) and reported here as a warning, naming
    the table and the column. (A declared column missing blocks earlier: at the landed file's header, or at the
    source database's schema contract, before anything loads.)"""
    with warehouse_as("loader").cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
            " ORDER BY ordinal_position",
            (BRONZE_SCHEMA, table.relation),
        )
        present = [r[0] for r in cur.fetchall() if not r[0].startswith("_dlt")]
    new = sorted(set(present) - set(table.bronze_columns))
    where = f"{BRONZE_SCHEMA}.{table.relation}"
    return AssetCheckResult(
        passed=not new,
        severity=AssetCheckSeverity.WARN,
        description=f"{where}: new columns carried through bronze: {new}" if new else f"{where}: columns as declared",
        metadata={"new_columns": new, "failing_rows": 0},
    )


def bronze_checks(tables: tuple[BronzeTable, ...]) -> list:
    """For every declared table: blocking checks (duplicate keys; missing required values and non-numbers,
    counted in one scan) and a warning when the source added columns the declaration does not name."""
    checks = []
    for table in tables:
        key = AssetKey(table.asset_path)
        if table.key:
            checks.append(_single(key, "duplicate_keys", duplicate_keys, table,
                                  f"No two rows share ({', '.join(table.key)}).", blocking=True))
        specs = []
        if table.required:
            specs.append(AssetCheckSpec("required_not_null", asset=key, blocking=True,
                                        description=f"{', '.join(table.required)} are present."))
        if table.numeric:
            specs.append(AssetCheckSpec("numeric_values", asset=key, blocking=True,
                                        description=f"Each value of {', '.join(f'{c} ({t})' for c, t in table.numeric_types.items())}"
                                        " is missing or a valid number of that type, as silver casts it (bad rows are quarantined)."))
        if specs:
            checks.append(_profile(key, specs, table))
        checks.append(_single(key, "schema_drift", schema_drift, table,
                              "Columns match the declared ones (a new column is carried and reported).", blocking=False))
    return checks


def _single(key, check_name, fn, table, description, blocking):
    @asset_check(asset=key, name=check_name, blocking=blocking, description=description)
    def _check():
        return fn(table)

    return _check


def _profile(key, specs, table):
    @multi_asset_check(specs=specs, name=f"{table.source}_{table.name}_profile")
    def _checks():
        yield from profile_table(table).values()

    return _checks
