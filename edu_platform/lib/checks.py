"""Bronze data-quality checks, declared once per table as a contract and generated for every source."""

from dataclasses import dataclass, field

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check
from psycopg2 import sql

from edu_platform.lib.dlt_pipelines import BRONZE_SCHEMA, bronze_table
from edu_platform.lib.warehouse import get_warehouse

MISSING_MARKERS = ("?", "")
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class TableContract:
    """What a bronze table promises: its key, the columns that must be present, the ones that must be numbers."""

    table: str
    keys: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    columns: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        object.__setattr__(self, "required", tuple(dict.fromkeys(self.keys + self.required)))


def _missing(column: str) -> sql.Composable:
    return sql.SQL("({c} IS NULL OR {c}::text IN ('?', ''))").format(c=sql.Identifier(column))


def _relation(source: str, table: str) -> sql.Composable:
    return sql.Identifier(BRONZE_SCHEMA, bronze_table(source, table))


def duplicate_keys(source: str, contract: TableContract) -> AssetCheckResult:
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in contract.keys)
    query = sql.SQL(
        "SELECT count(*), coalesce(sum(n), 0), (array_agg(k ORDER BY n DESC))[1:{s}] FROM ("
        " SELECT concat_ws('|', {keys}) AS k, count(*) AS n FROM {rel} GROUP BY {keys} HAVING count(*) > 1) d"
    ).format(keys=keys, rel=_relation(source, contract.table), s=sql.Literal(SAMPLE_SIZE))
    with get_warehouse().cursor() as cur:
        cur.execute(query)
        dup_keys, dup_rows, sample = cur.fetchone()
    return AssetCheckResult(
        passed=dup_keys == 0,
        severity=AssetCheckSeverity.ERROR,
        description=f"{dup_keys} duplicated keys ({', '.join(contract.keys)}) over {dup_rows} rows",
        metadata={"failing_rows": int(dup_rows), "duplicate_keys": int(dup_keys), "sample_keys": list(sample or [])},
    )


def required_columns(source: str, contract: TableContract) -> AssetCheckResult:
    counts = sql.SQL(", ").join(
        sql.SQL("count(*) FILTER (WHERE {m})").format(m=_missing(c)) for c in contract.required
    )
    any_missing = sql.SQL(" OR ").join(_missing(c) for c in contract.required)
    key_cols = contract.keys or contract.required
    key_expr = sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(sql.Identifier(k) for k in key_cols))
    with get_warehouse().cursor() as cur:
        cur.execute(sql.SQL("SELECT {} FROM {}").format(counts, _relation(source, contract.table)))
        per_column = dict(zip(contract.required, cur.fetchone()))
        cur.execute(
            sql.SQL("SELECT count(*) FROM {rel} WHERE {any}").format(rel=_relation(source, contract.table), any=any_missing)
        )
        failing = cur.fetchone()[0]
        cur.execute(
            sql.SQL("SELECT {k} FROM {rel} WHERE {any} LIMIT {s}").format(
                k=key_expr, rel=_relation(source, contract.table), any=any_missing, s=sql.Literal(SAMPLE_SIZE)
            )
        )
        sample = [r[0] for r in cur.fetchall()]
    bad = {c: int(n) for c, n in per_column.items() if n}
    return AssetCheckResult(
        passed=failing == 0,
        severity=AssetCheckSeverity.ERROR,
        description=f"{failing} rows miss a required column" + (f": {bad}" if bad else ""),
        metadata={"failing_rows": int(failing), "missing_by_column": bad, "sample_keys": sample},
    )


def numeric_columns(source: str, contract: TableContract) -> AssetCheckResult:
    """Raw bronze keeps text as published; a value that is not a number (nor `?`) is quarantined here."""
    pattern = r"^\s*[-+]?[0-9]+(\.[0-9]+)?\s*$"
    bad_value = sql.SQL(" OR ").join(
        sql.SQL("({c} IS NOT NULL AND {c}::text NOT IN ('?', '') AND {c}::text !~ {p})").format(
            c=sql.Identifier(c), p=sql.Literal(pattern)
        )
        for c in contract.numeric
    )
    sample_expr = sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(sql.Identifier(c) for c in contract.numeric))
    with get_warehouse().cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(_relation(source, contract.table), bad_value))
        failing = cur.fetchone()[0]
        cur.execute(
            sql.SQL("SELECT {} FROM {} WHERE {} LIMIT {}").format(
                sample_expr, _relation(source, contract.table), bad_value, sql.Literal(SAMPLE_SIZE)
            )
        )
        sample = [r[0] for r in cur.fetchall()]
    return AssetCheckResult(
        passed=failing == 0,
        severity=AssetCheckSeverity.ERROR,
        description=f"{failing} rows quarantined: non-numeric value in {', '.join(contract.numeric)}",
        metadata={"failing_rows": int(failing), "sample_values": sample},
    )


def schema_drift(source: str, contract: TableContract) -> AssetCheckResult:
    """A column the source added is carried into bronze (nothing dropped) and reported here as a warning."""
    with get_warehouse().cursor() as cur:
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
    """Blocking checks for every declared table (duplicate keys, missing required values, non-numbers),
    and a warning when the source added columns the contract does not declare."""
    checks = []
    for contract in contracts:
        key = AssetKey([BRONZE_SCHEMA, source, contract.table])
        kinds = []
        if contract.keys:
            kinds.append(("duplicate_keys", duplicate_keys, f"No two rows share ({', '.join(contract.keys)})."))
        if contract.required:
            kinds.append(("required_not_null", required_columns, f"{', '.join(contract.required)} are present."))
        if contract.numeric:
            kinds.append(("numeric_values", numeric_columns, f"{', '.join(contract.numeric)} hold numbers."))
        for check_name, fn, description in kinds:
            checks.append(_make_check(key, check_name, fn, source, contract, description, blocking=True))
        if contract.columns:
            checks.append(
                _make_check(key, "schema_drift", schema_drift, source, contract, "Columns match the declared ones.", blocking=False)
            )
    return checks


def _make_check(key, check_name, fn, source, contract, description, blocking):
    @asset_check(asset=key, name=check_name, blocking=blocking, description=description)
    def _check():
        return fn(source, contract)

    return _check
