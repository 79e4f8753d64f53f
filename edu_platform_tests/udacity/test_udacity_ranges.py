"""Backfill ranges of months x nanodegrees as one run: the same tables as one run per partition, a re-run of a
range replaces exactly that range, and a broken folder inside a range fails the run naming its partition and
materializes none of the range.

Real dlt loads, dbt builds and Dagster runs; two databases fed the same tiny landing, one partition at a time
in one, as range runs (`range_run_tags`, the catch-up's and the backfill daemon's tags) in the other.
"""

import shutil

import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance

from edu_platform.synthetic import udacity as generator
from edu_platform.defs.udacity.assets import UDACITY_PARTITIONS, udacity_dims_bronze, udacity_dims_dbt, udacity_facts_bronze, udacity_facts_dbt
from edu_platform.lib.partitions import range_run_tags, range_runs
from edu_platform_tests.helpers import make_database, materialize_selection, run_dbt, step_errors, table_hashes

SCALE = 0.003
NANODEGREES = ("data_science", "cybersecurity")
MONTHS = ("2026-08", "2026-09")
DIMS = AssetSelection.assets(udacity_dims_bronze, udacity_dims_dbt)
FACTS = AssetSelection.assets(udacity_facts_bronze, udacity_facts_dbt)
VIDEO_LOG = AssetKey(["bronze", "udacity", "video_log"])
FCT_VIEWS = AssetKey(["gold", "udacity", "fct_video_views"])


def key(month: str, nanodegree: str) -> str:
    return f"{month}-01|{nanodegree}"


def _warehouse(mp, tmp_path_factory, root, name):
    """A database with the dimensions loaded and the nanodegrees registered, and its own dlt state."""
    wh = make_database(name)
    mp.setenv("EDU_WAREHOUSE_URL", wh.libpq_url())
    mp.setenv("EDU_DLT_PIPELINES_DIR", str(tmp_path_factory.mktemp(f"dlt_{name}")))
    mp.setenv("UDACITY_SOURCE", str(root))
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("nanodegree", list(NANODEGREES))
    run_dbt(wh, "run", "--select", "dim_date")
    assert materialize_selection(DIMS, instance=instance).success
    return wh, instance


def _materialized(result) -> dict[str, set]:
    out: dict[str, set] = {}
    for e in result.all_events:
        if e.event_type_value == "ASSET_MATERIALIZATION":
            out.setdefault(e.asset_key.to_user_string(), set()).add(e.partition)
    return out


@pytest.fixture(scope="module")
def ranges(tmp_path_factory, module_monkeypatch):
    root = tmp_path_factory.mktemp("udacity_ranges")
    generator.write_dimensions(root, NANODEGREES, SCALE)
    for nanodegree in NANODEGREES:
        for month in MONTHS:
            generator.write_month(root, nanodegree, month, SCALE)
    keys = [key(m, n) for m in MONTHS for n in NANODEGREES]
    mp = module_monkeypatch
    s = {"root": root, "keys": keys}
    # one run per partition
    wh, instance = _warehouse(mp, tmp_path_factory, root, "udacity_one_by_one")
    s["one_by_one"] = [materialize_selection(FACTS, instance=instance, partition_key=k) for k in keys]
    s["one_by_one_hashes"] = table_hashes(wh)

    # the same partitions as range runs, in a database of their own
    wh, instance = _warehouse(mp, tmp_path_factory, root, "udacity_range")
    s["tags"] = range_run_tags(UDACITY_PARTITIONS, keys, instance)
    s["range"] = [materialize_selection(FACTS, instance=instance, tags=tags) for tags in s["tags"]]
    s["range_hashes"] = table_hashes(wh)
    s["wh"], s["instance"] = wh, instance
    return s


def test_a_full_history_is_one_run(ranges):
    assert ranges["tags"] == [{
        "dagster/asset_partition_range_start": key(MONTHS[0], NANODEGREES[0]),
        "dagster/asset_partition_range_end": key(MONTHS[-1], NANODEGREES[-1]),
    }]
    result = ranges["range"][0]
    assert result.success, step_errors(result)[:1]
    materialized = _materialized(result)
    # every fact asset, bronze to marts, materialized for exactly the range's four partitions
    assert materialized["bronze/udacity/video_log"] == set(ranges["keys"])
    assert materialized["gold/udacity/mart_video_replays"] == set(ranges["keys"])
    assert len(materialized) >= 15 and all(p == set(ranges["keys"]) for p in materialized.values())


def test_range_run_gives_the_tables_of_one_run_per_partition(ranges):
    assert all(r.success for r in ranges["one_by_one"]), [step_errors(r)[:1] for r in ranges["one_by_one"]]
    one, rng = ranges["one_by_one_hashes"], ranges["range_hashes"]
    assert sorted(one) == sorted(rng)
    assert {"bronze.udacity_video_log", "silver.stg_udacity__video_log", "gold.fct_video_views", "gold.fct_learning_sessions",
            "gold.mart_negative_themes"} <= set(one)
    assert {t: v for t, v in rng.items() if v != one[t]} == {}
    assert all(n > 0 for n, _ in one.values())


def test_rerunning_a_range_replaces_exactly_that_range(ranges):
    wh, instance = ranges["wh"], ranges["instance"]
    inside, outside = ("2026-09-01", "cybersecurity"), ("2026-08-01", "cybersecurity")
    marked = "update {} set seconds_watched = 987654 where month = %s and nanodegree = %s"  # valid, and never generated
    for table in ("silver.stg_udacity__video_log", "gold.fct_video_views"):
        for month, nanodegree in (inside, outside):
            with wh.cursor() as cur:
                cur.execute(marked.format(table), (month, nanodegree))
    # the latest month for both nanodegrees: one range of two partitions
    keys = [key("2026-09", n) for n in NANODEGREES]
    [tags] = range_run_tags(UDACITY_PARTITIONS, keys, instance)
    result = materialize_selection(FACTS, instance=instance, tags=tags)
    assert result.success, step_errors(result)[:1]
    assert _materialized(result)["silver/udacity/stg_udacity__video_log"] == set(keys)
    count = "select count(*) from {} where seconds_watched = 987654 and month = %s and nanodegree = %s"
    for table in ("silver.stg_udacity__video_log", "gold.fct_video_views"):
        assert wh.scalar(count.format(table), inside) == 0, table  # rebuilt
        assert wh.scalar(count.format(table), outside) > 0, table  # outside the range: untouched


def test_range_runs_cover_any_set_of_keys_exactly(ranges):
    instance = ranges["instance"]
    all_keys = [str(k) for k in UDACITY_PARTITIONS.get_partition_keys(dynamic_partitions_store=instance)]
    months = sorted({k.split("|")[0] for k in all_keys})
    # a new nanodegree's whole history plus the latest month of the other: two runs, not one per partition
    wanted = [k for k in all_keys if k.endswith("|cybersecurity") or k.startswith(months[-1])]
    runs = range_runs(UDACITY_PARTITIONS, wanted, instance)
    assert len(runs) == 2
    covered = [str(k) for r in runs for k in UDACITY_PARTITIONS.get_partition_keys_in_range(r, dynamic_partitions_store=instance)]
    assert sorted(covered) == sorted(wanted)
    # a hole in the months splits the range
    gap = [key("2026-08", "data_science"), key("2026-10", "data_science")]
    assert [(r.start, r.end) for r in range_runs(UDACITY_PARTITIONS, gap, instance)] == [(k, k) for k in gap]


def test_a_broken_folder_inside_a_range_fails_naming_it_and_materializes_none(ranges, tmp_path, monkeypatch):
    wh, instance = ranges["wh"], ranges["instance"]
    root = tmp_path / "landing"
    shutil.copytree(ranges["root"], root)
    for nanodegree in NANODEGREES:
        generator.write_month(root, nanodegree, "2026-10", SCALE)
    broken = root / "cybersecurity" / "2026" / "10" / "mentor_activity.csv"
    broken.unlink()
    monkeypatch.setenv("UDACITY_SOURCE", str(root))
    before = table_hashes(wh)
    keys = [key(m, n) for m in ("2026-09", "2026-10") for n in NANODEGREES]
    [tags] = range_run_tags(UDACITY_PARTITIONS, keys, instance)
    result = materialize_selection(FACTS, instance=instance, tags=tags)
    assert not result.success
    message = "\n".join(step_errors(result))
    assert f"partition 2026-10-01|cybersecurity: {root}/cybersecurity/2026/10: missing file mentor_activity.csv" in message
    assert "nothing loaded for the run's other 3 partition(s)" in message
    assert table_hashes(wh) == before  # no partition replaced, the good new one (data_science 2026-10) included
    for asset in (VIDEO_LOG, FCT_VIEWS):
        assert not {"2026-10-01|cybersecurity", "2026-10-01|data_science"} & instance.get_materialized_partitions(asset)

    # the file lands: a retry of the same range loads everything
    generator.write_month(root, "cybersecurity", "2026-10", SCALE)
    result = materialize_selection(FACTS, instance=instance, tags=tags)
    assert result.success, step_errors(result)[:1]
    assert set(keys) <= instance.get_materialized_partitions(FCT_VIEWS)
    assert wh.scalar("select count(*) from silver.stg_udacity__mentor_activity where month = '2026-10-01' and nanodegree = 'cybersecurity'") > 0
