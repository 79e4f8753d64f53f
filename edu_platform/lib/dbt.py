"""dbt, one way for every source: the project, the CLI resource, the translator and the asset factory."""

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    PartitionsDefinition,
    TableColumn,
    TableSchema,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.core.dbt_event_iterator import DbtEventIterator

from edu_platform.lib.config import setting
from edu_platform.lib.dbt_failures import with_failing_keys
from edu_platform.lib.environment import executables_on_path, export_dbt_environment, exported_while
from edu_platform.lib.ownership import owners_of
from edu_platform.lib.settings import dbt_project_dir
from edu_platform.lib.termination import stopped_on_signal

LAYERS = ("silver", "gold")


class DbtManifestMissing(FileNotFoundError):
    """The dbt manifest is not built: it is prepared at build time (`make setup`), never at import."""


def _target_path() -> Path:
    """dbt's target folder: EDU_DBT_TARGET_PATH, else `dbt/target` (the manifest and dbt's run artifacts)."""
    return Path(setting("EDU_DBT_TARGET_PATH") or dbt_project_dir() / "target")


def _dbt_executable() -> str:
    """dbt from this interpreter's environment (a bare `.venv/bin/python` works without PATH set): the
    `edu-platform-dbt` command (`lib/dbt_command.py`: dbt, with a `--version` that skips dbt's PyPI lookup),
    else `dbt` itself."""
    for name in ("edu-platform-dbt", "dbt"):
        beside = Path(sys.executable).with_name(name)
        if beside.exists():
            return str(beside)
    return "dbt"


# The dagster-dbt way: under `dagster dev` the manifest is re-parsed when the code loads (edits show up);
# elsewhere it is built once at build time (`prepare_manifest`, run by `edu-platform setup` / `make setup`
# and the image build) and only read.
DBT_PROJECT = DbtProject(project_dir=dbt_project_dir(), profiles_dir=dbt_project_dir(), target_path=_target_path())
if DBT_PROJECT.preparer.using_dagster_dev():
    executables_on_path()  # dagster-dbt's preparer starts `dbt` by name
DBT_PROJECT.prepare_if_dev()


def prepare_manifest() -> Path:
    """The build-time prepare: `dbt parse` into the project's target path (the manifest is never committed). It
    needs no connection; the dbt steps keep their own parse state per connection (`invoke_dbt`)."""
    dbt_resource().cli(["parse", "--quiet"], target_path=DBT_PROJECT.target_path).wait()
    return DBT_PROJECT.manifest_path


PARTIAL_PARSE = "partial_parse.msgpack"
RUN_VALUE_PREFIX = "EDU_DBT_RUN_"


def _parse_file(connection: Mapping[str, str]) -> Path:
    """Where dbt's partial-parse state for one connection is kept. dbt re-parses the whole project when the host,
    port, user or database differ from those its partial-parse file was written with (they are in its state check),
    so each connection keeps its own file and later invocations parse only the files that changed. dbt checks the
    file itself: a stale one costs a full parse, never a wrong manifest."""
    key = json.dumps([connection.get(k) for k in ("EDU_DBT_HOST", "EDU_DBT_PORT", "EDU_DBT_USER", "EDU_DBT_DBNAME")])
    return DBT_PROJECT.target_path / "partial_parse" / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.msgpack"


def _keep_parse(target_path: Path, kept: Path) -> None:
    written = Path(target_path) / PARTIAL_PARSE
    if not written.exists():
        return
    kept.parent.mkdir(parents=True, exist_ok=True)
    staged = kept.with_name(f"{kept.name}.{uuid.uuid4().hex[:8]}")
    shutil.copyfile(written, staged)
    os.replace(staged, kept)  # atomic: a concurrent invocation reads the old file or the new one, never half


@contextlib.contextmanager
def invoke_dbt(dbt: DbtCliResource, args: list[str], connection: Mapping[str, str], run_values: Optional[Mapping[str, Any]] = None,
               context: Optional[AssetExecutionContext] = None):
    """`dbt <args>` through dagster-dbt as `connection` (EDU_DBT_* variables), with the run's values (the partition
    window: `run_var` in macros/partition_window.sql) as EDU_DBT_RUN_<NAME> variables rather than `--vars`, which
    would make dbt re-parse the whole project for every partition. It runs in a target folder of its own that
    starts from the kept parse state of the connection (`_parse_file`); the block gets the invocation, and its
    parse state is kept when the block ends."""
    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}" if context else "dbt"
    target_path = DBT_PROJECT.target_path / f"{name}-{uuid.uuid4().hex[:7]}"
    kept = _parse_file(connection)
    target_path.mkdir(parents=True)
    if kept.exists():
        shutil.copyfile(kept, target_path / PARTIAL_PARSE)
    values = {
        **connection,
        # a test runs with a build when all its parents are built by it or upstream of it: selecting the calendar
        # alone never runs another source's relationship test against it
        "DBT_INDIRECT_SELECTION": "buildable",
        **{f"{RUN_VALUE_PREFIX}{key.upper()}": json.dumps(value) for key, value in (run_values or {}).items()},
    }
    with exported_while(values):
        invocation = dbt.cli(args, context=context, target_path=target_path)
    try:
        yield invocation
    finally:
        _keep_parse(target_path, kept)


def prepared_manifest_path() -> Path:
    """The prepared manifest; a missing one is one line telling the user how to build it."""
    path = DBT_PROJECT.manifest_path
    if not path.exists():
        raise DbtManifestMissing(f"dbt manifest not found at {path}: run `make setup` (edu-platform setup) to build it")
    return path


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource every dbt step uses, on the project's prepared manifest and this environment's dbt."""
    return DbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(dbt_project_dir()), dbt_executable=_dbt_executable())


class EduDbtTranslator(DagsterDbtTranslator):
    """Sources map onto the dlt keys `bronze/<source>/<table>`; models to `<layer>/<source>/<model>`. A model's
    description and columns come from its dbt YAML (no raw SQL: the code reference opens the `.sql`), its owner
    from `lib/ownership.py`; every test becomes a check with a short name and a description of what it guards,
    what a failure means and why its severity (see `readable_manifest`)."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=True))

    @staticmethod
    def _layer_and_source(props: Mapping[str, Any]) -> tuple[str, str]:
        if props["resource_type"] == "source":
            return "bronze", props["source_name"]
        fqn = props.get("fqn", [])
        layer = next((part for part in fqn if part in LAYERS), "gold")
        after = fqn[fqn.index(layer) + 1 :] if layer in fqn else []
        source = after[0] if len(after) > 1 else "shared"
        return layer, source

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        layer, source = self._layer_and_source(dbt_resource_props)
        return AssetKey([layer, source, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        layer, source = self._layer_and_source(dbt_resource_props)
        return f"{source}_{layer}"

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        props = dbt_resource_props
        text = (props.get("description") or "").strip() or f"dbt {props['resource_type']} {props['name']}"
        if props["resource_type"] != "model":
            return text
        materialized = props.get("config", {}).get("materialized")
        return f"{text}\n\n`{props.get('schema')}.{props.get('alias') or props['name']}` · dbt {materialized} · `{props.get('original_file_path')}`"

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """The model's columns with their meaning: the YAML `description:` of a column, else the glossary's
        (`dbt/models/docs/columns.md`). The UI takes the types from the latest materialization's column schema
        (dagster-dbt's `fetch_column_metadata`) and these descriptions by column name."""
        metadata = dict(super().get_metadata(dbt_resource_props))
        if dbt_resource_props["resource_type"] != "model":
            return metadata
        declared = dbt_resource_props.get("columns") or {}
        glossary = column_glossary()
        code = dbt_resource_props.get("raw_code") or ""
        names = list(declared) + [n for n in glossary if n not in declared and re.search(rf"\b{n}\b", code)]
        columns = [
            TableColumn(
                name=name, type=(declared.get(name) or {}).get("data_type") or "?",
                description=(declared.get(name) or {}).get("description") or glossary.get(name),
            )
            for name in names
        ]
        if columns:
            metadata["dagster/column_schema"] = TableSchema(columns=columns)
        return metadata

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Optional[list[str]]:
        return owners_of(self._layer_and_source(dbt_resource_props)[1])

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        layer, source = self._layer_and_source(dbt_resource_props)
        return {**super().get_tags(dbt_resource_props), "layer": layer, "source": source}

    def get_asset_check_spec(self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str, project) -> Optional[AssetCheckSpec]:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        test = manifest["nodes"][unique_id]
        return spec._replace(description=test.get("description") or describe_test(test, manifest))


# What the UI shows of a check name without cutting it (the asset's check list truncates in the middle).
MAX_CHECK_NAME = 32

_SHORT_PREFIX = {
    "unique": "unique", "not_null": "not_null", "unique_combination_of_columns": "unique", "relationships": "fk",
    "accepted_values": "values", "expression_is_true": "rule", "equal_rowcount": "rows_match", "equal_sum": "sum_match",
    "max_null_share": "max_null_share",
}


def _model_name(manifest: Mapping[str, Any], unique_id: Optional[str]) -> str:
    node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id) or {}
    return node.get("name", "")


def _relation(manifest: Mapping[str, Any], unique_id: Optional[str]) -> str:
    node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id) or {}
    return f"{node.get('schema')}.{node.get('alias') or node.get('identifier') or node.get('name')}" if node else "?"


def _ref_name(value: Any) -> str:
    """`ref('dim_date')` / `source('oulad', 'courses')` -> the model or table name."""
    found = re.findall(r"['\"]([^'\"]+)['\"]", str(value))
    return found[-1] if found else str(value)


def _first_identifier(expression: str) -> str:
    words = [w for w in re.findall(r"[a-z_][a-z0-9_]*", expression.lower()) if w not in {"and", "or", "not", "is", "null", "between", "case", "when", "coalesce"}]
    return words[0] if words else "rule"


def short_test_name(test: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """A check name that fits the UI: the kind of test and the column(s) it guards, e.g. `unique_presentation_key`,
    `fk_id_assessment`, `rows_match_oulad_student_info`. A name given in YAML (dbt's `name:`) and short enough
    is kept."""
    meta = test.get("test_metadata") or {}
    kind = meta.get("name")
    generated = kind and test["name"].startswith(f"{kind}_")
    if not generated and len(test["name"]) <= MAX_CHECK_NAME or not kind:
        return test["name"][:MAX_CHECK_NAME]
    kwargs = meta.get("kwargs") or {}
    column = test.get("column_name") or kwargs.get("column_name")
    prefix = _SHORT_PREFIX.get(kind, kind)
    if kind == "unique_combination_of_columns":
        subject = "key"
    elif kind == "equal_rowcount":
        subject = _ref_name(kwargs.get("compare_model"))
    elif kind == "expression_is_true" and not column:
        subject = _first_identifier(str(kwargs.get("expression", "")))
    elif kind == "equal_sum" and kwargs.get("measures"):
        subject = "_".join(kwargs["measures"])
    else:
        subject = column or _model_name(manifest, test.get("attached_node"))
    return f"{prefix}_{subject}"[:MAX_CHECK_NAME].rstrip("_")


def describe_test(test: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """What the test guards, what a failure means, its severity and why (a `severity_reason` in the test's meta
    says why; otherwise the rule for its severity)."""
    meta = test.get("test_metadata") or {}
    kind = meta.get("name")
    kwargs = meta.get("kwargs") or {}
    rel = _relation(manifest, test.get("attached_node"))
    col = test.get("column_name") or kwargs.get("column_name")
    config = test.get("config") or {}
    where = f" Scope: rows where {config['where']}." if config.get("where") else ""
    if kind == "unique":
        text = f"No two rows of `{rel}` share `{col}`: it is the key. A failure means duplicated keys, so every join on it multiplies rows."
    elif kind == "not_null":
        text = f"Every row of `{rel}` has a `{col}`. A failure means rows without it, which joins and counts downstream silently drop."
    elif kind == "unique_combination_of_columns":
        cols = ", ".join(kwargs.get("combination_of_columns") or [])
        text = f"No two rows of `{rel}` share ({cols}): the table's grain. A failure means duplicate rows at that grain (double counting)."
    elif kind == "relationships":
        text = (f"Every `{col}` of `{rel}` exists in `{_ref_name(kwargs.get('to'))}`.`{kwargs.get('field')}`. A failure means"
                " orphan rows: a join to that table loses them or shows them as unknown.")
    elif kind == "accepted_values":
        text = f"`{col}` of `{rel}` only takes the values {kwargs.get('values')}. A failure means a new or misspelled value that the marts do not count."
    elif kind == "expression_is_true":
        text = f"Every row of `{rel}` satisfies `{kwargs.get('expression')}`. A failure means rows that break this rule."
    elif kind == "equal_rowcount":
        text = (f"`{rel}` has as many rows as `{_ref_name(kwargs.get('compare_model'))}`: nothing lost or duplicated between"
                " them. A failure means rows were dropped or fanned out by a join.")
    elif kind == "equal_sum":
        measures = ", ".join(f"`{m}`" for m in (kwargs.get("measures") or [kwargs.get("column_name") or col]))
        text = (f"The total of each of {measures} in `{rel}` equals its total in"
                f" `{_ref_name(kwargs.get('compare_model'))}`: every unit is reconciled. A failure means a figure was lost or counted twice.")
    elif kind == "max_null_share":
        text = f"At most {kwargs.get('max_share')} of `{col}` in `{rel}` is missing. A failure means the source left more of it empty than it usually does."
    elif kind:
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("model", "column_name"))
        text = f"dbt test `{kind}` on `{rel}`" + (f" column `{col}`" if col else "") + (f" ({args})" if args else "") + "."
    else:
        text = f"dbt singular test `{test.get('original_file_path')}` on `{rel}`: it returns the rows breaking its rule."
    severity = str(config.get("severity") or "error").upper()
    reason = ((config.get("meta") or {}).get("severity_reason") or (test.get("meta") or {}).get("severity_reason"))
    if severity == "ERROR":
        rule = ("Severity ERROR (blocking): the models downstream in the same run do not build, because figures built on"
                " broken keys or references would be wrong.")
    else:
        rule = "Severity WARN (not blocking): the figures stay correct; the rows it counts are worth a look."
    return f"{text}{where}\n\n{rule}" + (f" Why: {reason}" if reason else "") + " The failing-row count is in `dagster_dbt/failed_row_count`, up to five failing keys in `failing_keys_sample`."


@functools.lru_cache(maxsize=1)
def column_glossary() -> dict[str, str]:
    """Column name -> meaning, from the dbt doc blocks named `column__<name>` (`dbt/models/docs/columns.md`)."""
    docs = json.loads(prepared_manifest_path().read_text()).get("docs", {})
    prefix = "column__"
    return {d["name"][len(prefix):]: d["block_contents"].strip() for d in docs.values() if d["name"].startswith(prefix)}


@functools.lru_cache(maxsize=4)
def readable_manifest(manifest_path: Optional[Path] = None) -> dict:
    """dbt's manifest with every test renamed to `short_test_name` (unique per model), so the check names dagster-dbt
    derives from it fit the UI. Only the `name` changes: dbt still selects and reports tests by their unique id
    and fully qualified name, which stay as dbt wrote them."""
    manifest = json.loads(Path(manifest_path or prepared_manifest_path()).read_text())
    taken: dict[Optional[str], set] = {}
    for unique_id in sorted(manifest["nodes"]):
        test = manifest["nodes"][unique_id]
        if test["resource_type"] != "test":
            continue
        attached = test.get("attached_node") or next(iter(test["depends_on"]["nodes"]), None)
        names = taken.setdefault(attached, set())
        base = short_test_name(test, manifest)
        name, n = base, 2
        while name in names:
            name = f"{base[: MAX_CHECK_NAME - len(str(n)) - 1]}_{n}"
            n += 1
        names.add(name)
        test["name"] = name
    return manifest


def partition_window_vars(context: AssetExecutionContext) -> dict:
    """The partition window as dbt run values (`run_var`), so incremental models rebuild exactly that window."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return {}
    window = context.partition_time_window
    return {"min_date": window.start.strftime("%Y-%m-%d"), "max_date": window.end.strftime("%Y-%m-%d")}


def dbt_folders(source: str) -> list[str]:
    """A source's dbt model folders (`models/<layer>/<source>`, those that exist): dbt selects its models, and the
    tests declared beside them, by path."""
    return [f"models/{layer}/{source}" for layer in LAYERS if (dbt_project_dir() / "models" / layer / source).is_dir()]


def build_dbt_assets(
    name: str,
    source: str,
    narrow: Optional[str] = None,
    partitions_def: Optional[PartitionsDefinition] = None,
    vars_fn: Callable[[AssetExecutionContext], dict] = partition_window_vars,
    backfill_policy: Optional[BackfillPolicy] = None,
    pool: Optional[str] = None,
):
    """One @dbt_assets per partitions definition; each runs `dbt build` on the models of a source's folders
    (`narrow`, a dbt selector such as `tag:udacity_dims`, splits a source across partitions definitions). Tests
    declared in other sources' folders are excluded, so a test on a shared model (dim_date) runs with the source
    that declares it. `pool` (default `dbt_<source>`, limit 1 in dagster.yaml): two partitions' delete+insert of
    the same incremental tables never interleave."""
    from edu_platform.sources import SOURCES

    folders = dbt_folders(source)
    if not folders:
        raise ValueError(f"source {source!r} has no dbt models: expected dbt/models/silver/{source} or dbt/models/gold/{source}")
    select = " ".join(f"path:{folder}" + (f",{narrow}" if narrow else "") for folder in folders)
    # a source's build leaves out the other sources' folders; the calendar's build leaves out every source's (their
    # relationship tests to dim_date run with them)
    others = [f"path:{folder}" for other in SOURCES if other != source for folder in dbt_folders(other)]
    exclude = " ".join(others) or None
    pool = pool or f"dbt_{source}"

    @dbt_assets(
        name=name,
        manifest=readable_manifest(),
        select=select,
        exclude=exclude,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        dagster_dbt_translator=EduDbtTranslator(),
        project=DBT_PROJECT,
        pool=pool,
    )
    def _assets(context: AssetExecutionContext, dbt: DbtCliResource):
        connection = export_dbt_environment().dbt_env()  # dbt builds as the transformer role
        with invoke_dbt(dbt, ["build"], connection, vars_fn(context), context=context) as invocation:
            with stopped_on_signal(invocation.process):  # a terminated run's dbt stops before the run is marked ended
                yield from with_test_errors(invocation).fetch_row_counts().fetch_column_metadata()

    return _assets


def with_test_errors(invocation):
    """dagster-dbt's events, where a test that could not run (a missing relation, an SQL error) carries dbt's
    error message as its description, so it is never mistaken for a test with 0 failing rows. dbt writes the
    message to run_results.json, so such a check result is held until the build ends."""

    def events():
        held = []
        try:
            for raw in invocation.stream_raw_events():
                for event in raw.to_default_asset_events(
                    manifest=invocation.manifest,
                    dagster_dbt_translator=invocation.dagster_dbt_translator,
                    context=invocation.context,
                    target_path=invocation.target_path,
                    project=invocation.project,
                ):
                    status = (event.metadata or {}).get("status") if isinstance(event, AssetCheckResult) else None
                    if str(getattr(status, "value", status)) == "error":
                        held.append((raw.raw_event.get("data", {}).get("node_info", {}).get("unique_id"), event))
                    else:
                        yield event
        finally:
            messages = _error_messages(invocation) if held else {}
            for unique_id, event in held:
                message = " ".join(messages.get(unique_id, "see the dbt step's log").split())[:400]
                yield AssetCheckResult(
                    passed=False, asset_key=event.asset_key, check_name=event.check_name, severity=event.severity,
                    metadata=event.metadata, description=f"test errored: {message}",
                )

    return InThreadEventIterator(with_failing_keys(events(), invocation), invocation)  # lib/dbt_failures.py


class InThreadEventIterator(DbtEventIterator):
    """dagster-dbt's `fetch_row_counts()` and `fetch_column_metadata()`, with the row count and columns of each built
    model read in the thread reading dbt's events instead of a thread pool. A stop request is an exception raised in
    the main thread: waiting on a pool's future when it lands left the future's lock held, its worker blocked and the
    pool's shutdown waiting forever (a terminated run stayed CANCELING after its dbt had stopped)."""

    def _attach_metadata(self, fn):
        invocation = self._dbt_cli_invocation

        def attached():
            for event in self:
                extra = fn(invocation, event)
                yield event if extra is None else event.with_metadata({**event.metadata, **extra})

        return InThreadEventIterator(attached(), invocation)


def _error_messages(invocation) -> dict[str, str]:
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # dbt stopped before writing it
        return {}
    return {r["unique_id"]: r.get("message") or "" for r in results if r.get("status") == "error"}
