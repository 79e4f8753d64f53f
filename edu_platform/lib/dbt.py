"""dbt, one way for every source: the project, the CLI resource, the translator and the asset factory."""

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from dagster import AssetCheckResult, AssetExecutionContext, AssetKey, BackfillPolicy, PartitionsDefinition
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.core.dbt_event_iterator import DbtEventIterator
from packaging import version

from edu_platform.lib.settings import dbt_project_dir
from edu_platform.lib.warehouse import export_dbt_environment

LAYERS = ("silver", "gold")


def _target_path() -> Path:
    return Path(os.environ.get("EDU_DBT_TARGET_PATH", dbt_project_dir() / "target"))


def _dbt_executable() -> str:
    """dbt from this interpreter's environment, so a bare `.venv/bin/python` works without PATH set."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def parse_manifest(target_path: Optional[Path] = None) -> Path:
    """`dbt parse` into the target path (set-up runs this; the manifest is never committed)."""
    target = Path(target_path or _target_path())
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [
        _dbt_executable(), "parse", "--quiet",
        "--project-dir", str(dbt_project_dir()), "--profiles-dir", str(dbt_project_dir()),
        "--target-path", str(target),
    ]
    subprocess.run(cmd, check=True, env=env)
    return target / "manifest.json"


def edu_dbt_project() -> DbtProject:
    project = DbtProject(
        project_dir=dbt_project_dir(), profiles_dir=dbt_project_dir(), target_path=_target_path()
    )
    if not project.manifest_path.exists():
        parse_manifest(project.target_path)
    return project


DBT_PROJECT = edu_dbt_project()


class EduDbtCliResource(DbtCliResource):
    """dagster-dbt asks `dbt --version` before every invocation: a second dbt start-up (~3 s on these machines)
    per dbt step. dbt-core is installed in this environment, so its version is read from the package instead."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    return EduDbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(dbt_project_dir()), dbt_executable=_dbt_executable())


class EduDbtTranslator(DagsterDbtTranslator):
    """Sources map onto the dlt keys `bronze/<source>/<table>`; models to `<layer>/<source>/<model>`."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

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


def partition_window_vars(context: AssetExecutionContext) -> dict:
    """The partition window as dbt vars, so incremental models rebuild exactly that window."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return {}
    window = context.partition_time_window
    return {"min_date": window.start.strftime("%Y-%m-%d"), "max_date": window.end.strftime("%Y-%m-%d")}


def build_dbt_assets(
    name: str,
    select: str,
    partitions_def: Optional[PartitionsDefinition] = None,
    vars_fn: Callable[[AssetExecutionContext], dict] = partition_window_vars,
    exclude: Optional[str] = None,
    backfill_policy: Optional[BackfillPolicy] = None,
):
    """One @dbt_assets per partitions definition; each runs `dbt build` on its selection. Tests declared by
    other sources are excluded, so a test on a shared model (dim_date) runs with the source that declares it."""
    from edu_platform.sources import SOURCES

    selected_tags = set(re.findall(r"tag:(\w+)", select))
    others = " ".join(f"tag:{s}" for s in SOURCES if s not in selected_tags)
    exclude = " ".join(filter(None, [exclude, others])) or None
    # one dbt build per source at a time (the pool's limit is 1, dagster.yaml): two partitions' delete+insert
    # of the same incremental tables must not interleave
    pool = f"dbt_{sorted(selected_tags - {'shared'})[0]}" if selected_tags - {"shared"} else "dbt_shared"

    @dbt_assets(
        name=name,
        manifest=DBT_PROJECT.manifest_path,
        select=select,
        exclude=exclude,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        dagster_dbt_translator=EduDbtTranslator(),
        project=DBT_PROJECT,
        pool=pool,
    )
    def _assets(context: AssetExecutionContext, dbt: DbtCliResource):
        export_dbt_environment()  # dbt builds as the transformer role
        # a test runs with a build when all its parents are built by it or upstream of it: selecting the calendar
        # alone never runs another source's relationship test against it
        os.environ["DBT_INDIRECT_SELECTION"] = "buildable"
        args = ["build"]
        dbt_vars = vars_fn(context)
        if dbt_vars:
            args += ["--vars", json.dumps(dbt_vars)]
        yield from with_test_errors(dbt.cli(args, context=context))

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

    return DbtEventIterator(events(), invocation)


def _error_messages(invocation) -> dict[str, str]:
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # dbt stopped before writing it
        return {}
    return {r["unique_id"]: r.get("message") or "" for r in results if r.get("status") == "error"}
