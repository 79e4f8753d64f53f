"""What the Dagster UI shows, checked on the loaded definitions (no PostgreSQL): keys `layer/source/table` in
groups `<source>_<layer>`, lineage bronze -> silver -> gold; every asset, check, schedule, sensor and job
described; check names short enough to show whole; every asset with an owner and a code reference."""

import warnings

import pytest

from edu_platform.lib.dbt import MAX_CHECK_NAME
from edu_platform.lib.ownership import all_owners

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`


def _defs():
    from edu_platform.definitions import defs

    return defs


def _asset_nodes():
    graph = _defs().resolve_asset_graph()
    return [graph.get(key) for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]


def _check_specs():
    defs = _defs()
    specs = [spec for checks in defs.asset_checks or [] for spec in checks.check_specs]
    specs += [spec for assets in defs.assets for spec in getattr(assets, "check_specs", [])]
    return specs


LAYERS = ("bronze", "silver", "gold")


def test_keys_are_layer_source_table_in_their_group_and_lineage_reads_bronze_silver_gold():
    """A key says where an asset lives and its group is `<source>_<layer>`; an asset reads only its own source
    (or the shared calendar), from its own layer or an earlier one."""
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    nodes = _asset_nodes()
    problems = []
    for node in nodes:
        name, path = node.key.to_user_string(), node.key.path
        if len(path) != 3 or path[0] not in rank:
            problems.append(f"{name}: key is not layer/source/table")
            continue
        layer, source, _ = path
        if node.group_name != f"{source}_{layer}":
            problems.append(f"{name}: group {node.group_name!r}, expected {source}_{layer}")
        for parent in node.parent_keys:
            up = parent.path
            if up[0] not in rank or rank[up[0]] > rank[layer] or up[1] not in (source, "shared"):
                problems.append(f"{name}: reads {parent.to_user_string()}")
    assert not problems, "\n".join(problems)
    assert {node.key.path[1] for node in nodes} >= {"oulad", "dost", "udacity", "shared"}
    for source in ("oulad", "dost", "udacity"):
        assert {node.key.path[0] for node in nodes if node.key.path[1] == source} == set(LAYERS), source


def test_every_asset_is_described_owned_and_linked_to_its_code():
    nodes = _asset_nodes()
    assert len(nodes) > 60
    problems = []
    for node in nodes:
        name = node.key.to_user_string()
        description = node.description or ""
        if len(description) < 40 or description.startswith("dbt model") or "Raw SQL" in description:
            problems.append(f"{name}: description {description[:60]!r}")
        if not node.owners or not set(node.owners) <= all_owners():
            problems.append(f"{name}: owners {node.owners}")
        if node.tags.get("layer") != node.key.path[0] or node.tags.get("source") != node.key.path[1]:
            problems.append(f"{name}: tags {node.tags}")
        references = node.metadata.get("dagster/code_references")
        files = [ref.file_path for ref in references.code_references] if references else []
        expected = ".sql" if node.key.path[0] in ("silver", "gold") else ".py"
        if not any(f.endswith(expected) for f in files):
            problems.append(f"{name}: no {expected} code reference ({files})")
    assert not problems, "\n".join(problems)


def test_bronze_names_its_key_and_cadence_and_models_their_table():
    graph = _defs().resolve_asset_graph()
    from dagster import AssetKey

    courses = graph.get(AssetKey(["bronze", "oulad", "courses"])).description
    assert "courses.csv" in courses and "key (code_module, code_presentation)" in courses and "monthly" in courses
    campaign = graph.get(AssetKey(["bronze", "dost", "campaign"])).description
    assert "key (id)" in campaign and "weekly" in campaign and "merges on the key" in campaign
    fact = graph.get(AssetKey(["gold", "oulad", "fct_registrations"])).description
    assert "gold.fct_registrations" in fact and "models/gold/oulad/fct_registrations.sql" in fact


def test_every_check_has_a_short_name_and_says_what_it_guards():
    specs = _check_specs()
    assert len(specs) > 250
    long = [f"{s.key.to_user_string()} ({len(s.name)})" for s in specs if len(s.name) > MAX_CHECK_NAME]
    assert not long, f"check names longer than {MAX_CHECK_NAME} characters: {long}"
    undescribed = [s.key.to_user_string() for s in specs if not s.description or len(s.description) < 20]
    assert not undescribed, f"checks without a description: {undescribed}"
    dbt_checks = [s for s in specs if s.key.asset_key.path[0] in ("silver", "gold")]
    assert dbt_checks and all("Severity" in s.description for s in dbt_checks)
    # the named examples of the issue
    by_key = {s.key.to_user_string(): s for s in specs}
    registration = by_key["silver/oulad/stg_oulad__student_registration:unique_key"].description
    assert "(presentation_key, id_student)" in registration and "ERROR" in registration


def test_every_schedule_and_sensor_is_described():
    defs = _defs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repository = defs.get_repository_def()
    schedules = repository.schedule_defs
    sensors = repository.sensor_defs
    assert len(schedules) >= 4 and len(sensors) >= 4
    missing = [d.name for d in [*schedules, *sensors] if not (d.description or "").strip()]
    assert not missing, f"without a description: {missing}"


def test_every_job_is_described():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repository = _defs().get_repository_def()
    jobs = [job for job in repository.get_all_jobs() if not job.name.startswith("__")]
    assert len(jobs) >= 5
    missing = [job.name for job in jobs if not (job.description or "").strip()]
    assert not missing, f"jobs without a description: {missing}"


def test_the_code_location_loads_as_dagster_loads_it():
    """`dagster dev` / the code server load the module and refuse more than one module-level Definitions."""
    from dagster._core.workspace.autodiscovery import loadable_targets_from_python_module

    targets = loadable_targets_from_python_module("edu_platform.definitions", working_directory=None)
    assert [t.attribute for t in targets] == ["defs"]


def test_partitioned_schedules_name_their_partition_set():
    """Dagster 1.13 leaves a schedule's `partitionSet` empty in the UI for asset jobs: the description says it."""
    defs = _defs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repository = defs.get_repository_def()
    for name in ("dost_weekly_schedule", "udacity_monthly_schedule"):
        assert "Partition set:" in repository.get_schedule_def(name).description


def test_every_gold_column_named_in_yaml_or_the_glossary_is_described():
    """Gold's columns carry their meaning (YAML description or the glossary of dbt doc blocks) in the asset's
    column schema, which the UI joins by name with the types of the latest materialization."""
    undescribed = []
    for node in _asset_nodes():
        if node.key.path[0] != "gold":
            continue
        schema = node.metadata.get("dagster/column_schema")
        assert schema is not None and schema.columns, node.key.to_user_string()
        undescribed += [f"{node.key.to_user_string()}.{c.name}" for c in schema.columns if not c.description]
    assert not undescribed, undescribed
