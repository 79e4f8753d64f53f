"""Each bronze table is declared once (`defs/<source>/tables.py`), and what is built from the declaration agrees
with it: the dlt resources, the bronze checks and the dbt sources that silver reads (read, not generated)."""

import re
from importlib import import_module
from pathlib import Path

import pytest
import yaml

from edu_platform.lib.tables import BronzeTable
from edu_platform.sources import SOURCES
SILVER = Path(__file__).resolve().parents[2] / "dbt" / "models" / "silver"
UNIQUENESS_TESTS = {"unique", "unique_combination_of_columns"}


def _tables(source: str) -> tuple[BronzeTable, ...]:
    return import_module(f"edu_platform.defs.{source}.tables").TABLES


def _yaml(source: str) -> list[dict]:
    return [yaml.safe_load(path.read_text()) or {} for path in sorted((SILVER / source).glob("*.yml"))]


def _silver_readers(source: str, table: BronzeTable) -> list[Path]:
    """The silver models that read `table` (by their `source()` call: their columns may be renamed)."""
    call = re.compile(rf"""source\(\s*['"]{source}['"]\s*,\s*['"]{table.name}['"]\s*\)""")
    return [path for path in sorted((SILVER / source).glob("*.sql")) if call.search(path.read_text())]


def _test_names(tests) -> set[str]:
    return {t if isinstance(t, str) else next(iter(t)) for t in tests or []}


@pytest.mark.parametrize("source", SOURCES)
def test_dbt_sources_name_exactly_the_declared_bronze_tables(source):
    declared = {t.name: t.relation for t in _tables(source)}
    in_dbt = {}
    for document in _yaml(source):
        for entry in document.get("sources") or []:
            assert entry["name"] == source and entry.get("schema") == "bronze", entry["name"]
            for table in entry.get("tables") or []:
                in_dbt[table["name"]] = table.get("identifier", table["name"])
    assert in_dbt == declared, f"dbt sources of {source} differ from defs/{source}/tables.py"


@pytest.mark.parametrize("source", SOURCES)
def test_every_keyed_table_is_unique_in_the_silver_model_that_reads_it(source):
    """Bronze checks the declared key; the silver model reading the table (its columns renamed, so matched by its
    `source()` call, not by column name) carries a unique or unique-combination test of its own."""
    models = {}
    for document in _yaml(source):
        for model in document.get("models") or []:
            names = _test_names(model.get("data_tests") or model.get("tests"))
            for column in model.get("columns") or []:
                names |= _test_names(column.get("data_tests") or column.get("tests"))
            models[model["name"]] = names
    missing = []
    for table in _tables(source):
        readers = [path.stem for path in _silver_readers(source, table)]
        assert readers, f"no silver model reads source('{source}', '{table.name}')"
        if table.key and not any(models.get(m, set()) & UNIQUENESS_TESTS for m in readers):
            missing.append(f"{table.name} (key {', '.join(table.key)}; read by {', '.join(readers)})")
    assert not missing, f"keyed {source} tables without a uniqueness test in silver: {missing}"


_CASTS = {"raw_int": "bigint", "raw_integer": "integer", "raw_numeric": "numeric"}


@pytest.mark.parametrize("source", SOURCES)
def test_every_number_column_is_checked_as_the_type_silver_casts_it_to(source):
    """A bronze number column is checked as the type its silver model casts it to (`macros/raw_values.sql`), so
    bronze's `numeric_values` rejects, naming table, column and value, what would otherwise fail or slip past silver."""
    cast = re.compile(r"(raw_int|raw_integer|raw_numeric)\(\s*['\"](\w+)['\"]\s*\)")
    mismatched = []
    for table in _tables(source):
        casts = {column: _CASTS[macro] for path in _silver_readers(source, table) for macro, column in cast.findall(path.read_text())}
        for column, type_ in casts.items():
            if table.numeric_types.get(column) != type_:
                mismatched.append(f"{table.name}.{column}: silver casts it to {type_}, bronze checks {table.numeric_types.get(column)}")
    assert not mismatched, mismatched


def test_a_number_column_of_an_unknown_type_fails_at_import():
    with pytest.raises(ValueError, match=r"numeric column 'x': type 'float' is not one of"):
        BronzeTable("demo", "t", origin="t", cadence="monthly", columns=("id", "x"), numeric={"x": "float"}, description="T.")
    assert BronzeTable("demo", "t", cadence="monthly", columns=("x",), numeric=("x",), description="T.").numeric_types == {"x": "numeric"}


def test_every_source_declares_its_tables():
    assert set(SOURCES) >= {"oulad", "dost", "udacity"}
    assert all(t.source == source for source in SOURCES for t in _tables(source))


def test_every_declared_table_has_its_resource_checks_and_description():
    from edu_platform.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = {(s.asset_key.to_user_string(), s.name) for checks in defs.asset_checks for s in checks.check_specs}
    bronze = {k.to_user_string() for k in graph.get_all_asset_keys() if k.path[0] == "bronze"}
    declared = {"/".join(t.asset_path): t for source in SOURCES for t in _tables(source)}
    assert bronze == set(declared)
    for path, table in declared.items():
        assert ((path, "duplicate_keys") in specs) == bool(table.key), path
        assert (path, "required_not_null") in specs and (path, "schema_drift") in specs, path
        assert ((path, "numeric_values") in specs) == bool(table.numeric), path
        node = graph.get(next(k for k in graph.get_all_asset_keys() if k.to_user_string() == path))
        assert node.description.startswith(table.description) and f"loaded {table.cadence}" in node.description
        columns = [c.name for c in node.metadata["dagster/column_schema"].columns]
        assert columns == list(table.bronze_columns), path
    assert max(len(name) for _, name in specs) <= 32  # the UI's check list truncates longer names


def test_a_declaration_naming_an_undeclared_column_fails_at_import():
    with pytest.raises(ValueError, match=r"bronze table demo\.t: column 'idd' is not among its columns"):
        BronzeTable("demo", "t", origin="t", cadence="monthly", columns=("id", "x"), key=("idd",), description="T.")
    with pytest.raises(ValueError, match="cadence 'hourly'"):
        BronzeTable("demo", "t", origin="t", cadence="hourly", columns=("id",), description="T.")
