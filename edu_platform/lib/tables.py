"""A bronze table, declared once.

Each source lists its tables in one place (`edu_platform/defs/<source>/tables.py`, a tuple of `BronzeTable`).
Everything else reads that tuple: the dlt resources, the bronze checks (key, required, numeric, schema drift),
the asset descriptions, Dost's schema contract and indexes, and the test that the dbt sources name the same
tables. This module imports nothing heavy: declaring a table costs nothing at import time.
"""

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

BRONZE_SCHEMA = "bronze"
CADENCES = ("daily", "weekly", "monthly")
NUMBER_TYPES = ("integer", "bigint", "numeric")  # what a bronze number column may be checked as (PostgreSQL's names)


def bronze_table(source: str, table: str) -> str:
    """Bronze tables share one schema, so each carries its source as a prefix: `bronze.oulad_courses`."""
    return f"{source}_{table}"


@dataclass(frozen=True)
class BronzeTable:
    """One bronze table: where it comes from, what a row is, what it promises, and how often it lands.

    - `origin`: the file stem as published or landed (`studentInfo` for `studentInfo.csv`), or the source table
      (by default the bronze name);
    - `columns`: the origin's columns in order; a mapping column -> type family (integer, text, timestamptz, ...)
      where the source has types (a database), which the source's schema contract checks before every extraction;
    - `key`: the bronze key (no two rows share it; a merge replaces on it); empty when rows may repeat;
    - `source_key`: the key the source itself promises, when bronze keeps several versions of it (key + updated_at);
    - `cursor`: the column an incremental window selects on (None: read whole);
    - `required` (the key's columns always are) and `numeric`: blocking checks on every load. `numeric` names the
      columns that must hold numbers, or maps each to the type silver casts it to (`integer`, `bigint` or
      `numeric`, the default): bronze then rejects what that cast would (a fraction in a whole-number column, a
      number beyond 32 bits), naming the table, column and value, before any model runs;
    - `renamed`: origin column -> bronze column (a value transformed on the way, e.g. a phone number hashed);
    - `added`: columns the loader adds (a landed folder's nanodegree and month);
    - `unique_in_source`: the source promises unique keys, so a key repeated within one load is a defect.
    """

    source: str
    name: str
    cadence: str
    columns: tuple[str, ...] | Mapping[str, str]
    description: str
    origin: str = ""
    key: tuple[str, ...] = ()
    source_key: tuple[str, ...] = ()
    cursor: str | None = None
    required: tuple[str, ...] = ()
    numeric: tuple[str, ...] | Mapping[str, str] = ()
    renamed: Mapping[str, str] = field(default_factory=dict, compare=False)
    added: tuple[str, ...] = ()
    unique_in_source: bool = False
    types: Mapping[str, str] = field(default_factory=dict, compare=False, init=False)
    numeric_types: Mapping[str, str] = field(default_factory=dict, compare=False, init=False)

    def __post_init__(self):
        object.__setattr__(self, "origin", self.origin or self.name)
        if isinstance(self.columns, Mapping):
            object.__setattr__(self, "types", MappingProxyType(dict(self.columns)))
            object.__setattr__(self, "columns", tuple(self.columns))
        else:
            object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "renamed", MappingProxyType(dict(self.renamed)))
        numeric = dict(self.numeric) if isinstance(self.numeric, Mapping) else dict.fromkeys(self.numeric, "numeric")
        object.__setattr__(self, "numeric_types", MappingProxyType(numeric))
        object.__setattr__(self, "numeric", tuple(numeric))
        object.__setattr__(self, "required", tuple(dict.fromkeys(self.key + self.required)))
        object.__setattr__(self, "source_key", self.source_key or self.key)
        problems = [f"cadence {self.cadence!r} is not one of {CADENCES}"] if self.cadence not in CADENCES else []
        bronze = set(self.bronze_columns)
        problems += [f"column {c!r} is not among its columns" for c in (*self.key, *self.required, *self.numeric) if c not in bronze]
        problems += [f"numeric column {c!r}: type {t!r} is not one of {NUMBER_TYPES}" for c, t in numeric.items() if t not in NUMBER_TYPES]
        problems += [f"renamed column {c!r} is not among its columns" for c in self.renamed if c not in self.columns]
        if self.cursor is not None and self.cursor not in self.columns:
            problems.append(f"cursor {self.cursor!r} is not among its columns")
        if not self.description.strip():
            problems.append("no description")
        if problems:
            raise ValueError(f"bronze table {self.source}.{self.name}: " + "; ".join(problems))

    @property
    def bronze_columns(self) -> tuple[str, ...]:
        """The columns as they land in bronze, in order: renamed ones under their new name, then the added ones."""
        return tuple(self.renamed.get(c, c) for c in self.columns) + self.added

    @property
    def relation(self) -> str:
        """The table's name in the bronze schema."""
        return bronze_table(self.source, self.name)

    @property
    def asset_path(self) -> list[str]:
        """The asset key's path: `bronze/<source>/<table>`."""
        return [BRONZE_SCHEMA, self.source, self.name]


def by_name(tables: tuple[BronzeTable, ...]) -> dict[str, BronzeTable]:
    return {t.name: t for t in tables}


def by_origin(tables: tuple[BronzeTable, ...]) -> dict[str, BronzeTable]:
    """The tables by file stem (or source table), for the code that lists landed files."""
    return {t.origin: t for t in tables}
