"""The scale sweep (`make bench-scale`, bench/scale.py) end to end at a tiny scale on a throw-away stock PostgreSQL:
it writes a scale.json with every figure present and sane, and the stock cluster is gone afterwards, also when the
work inside it fails. No timing is asserted (the machine is shared): only that each figure was measured."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402  (bench/scale.py)


def _postmasters_under(path: Path) -> list[int]:
    """Live processes whose command line names `path` (a postmaster started with `-D path/data`)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmd:
            found.append(int(pid))
    return found


def test_sweep_at_a_tiny_scale_on_a_stock_server(tmp_path):
    out = tmp_path / "scale.json"
    # the sweep as a user starts it: none of the test session's warehouse settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDU_", "DBT_", "DAGSTER_"))}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--scales", "0.002", "--servers", "stock", "--only", "oulad",
         "--out", str(out), "--data", str(tmp_path / "data")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: a target missed, which a tiny scale may well do
    results = json.loads(out.read_text())
    assert [(r["server"], r["scale"]) for r in results["runs"]] == [("stock", 0.002)]
    run = results["runs"][0]
    assert "dost" not in run
    oulad = run["oulad"]
    assert oulad["rows"] > 10_000
    assert oulad["seconds"] > 0 and oulad["copy_seconds"] > 0
    assert oulad["seconds_per_million_rows"] == pytest.approx(oulad["seconds"] / (oulad["rows"] / 1e6), rel=0.01)
    assert oulad["to_copy_ratio"] > 1  # loading, checking and modelling costs more than the bare COPY
    assert oulad["phases"]["bronze"] > 0 and oulad["phases"]["dbt"] > 0
    assert oulad["rss"]["platform"]["peak_rss_mb"] > 50  # Dagster, dlt and pandas are loaded in it
    assert oulad["rss"]["dbt"]["processes"] >= 1 and oulad["rss"]["dbt"]["peak_rss_mb"] > 0
    assert oulad["peak_rss_mb"] > 0
    assert oulad["temp_mb"] >= 0
    assert oulad["largest_table"].split(".")[0] in ("bronze", "silver", "gold") and oulad["largest_table_mb"] > 0
    assert oulad["largest_index"] and oulad["largest_index_mb"] >= 0
    assert len(run["load_average_at_start"]) == 3
    # the stock cluster is gone: its directory removed and no postmaster left on it
    home = Path(run["stock_cluster"])
    assert home.name.startswith("edu_stock_pg_")
    assert not home.exists()
    assert _postmasters_under(home) == []
    assert "targets (issue #19)" in done.stdout


def test_stock_cluster_removed_when_the_work_inside_fails():
    """A failure inside the sweep (here an exception; Ctrl-C and SIGTERM arrive as KeyboardInterrupt the same way)
    still stops the cluster and deletes its directory; while it runs, it has PostgreSQL's default settings."""
    from edu_platform.lib.warehouse import Warehouse

    with pytest.raises(KeyboardInterrupt):
        with scale.stock_server() as url:
            wh = Warehouse.from_url(url)
            home = Path(wh.socket_dir)
            assert wh.scalar("show shared_buffers") == "128MB" and wh.scalar("show work_mem") == "4MB"
            assert wh.scalar("show wal_level") == "replica"
            raise KeyboardInterrupt
    assert not home.exists()
    assert _postmasters_under(home) == []


def _run(scale_, server, seconds, rss_mb):
    rows = int(10_000_000 * scale_)
    part = {"rows": rows, "seconds": seconds, "copy_seconds": seconds / 5, "seconds_per_million_rows": seconds / (rows / 1e6),
            "to_copy_ratio": 5.0, "phases": {"silver": 1, "gold": 2, "dbt_tests": 1}, "rss": {"platform": {"peak_rss_mb": rss_mb, "processes": 1}},
            "peak_rss_mb": rss_mb, "temp_mb": 0.0, "largest_table": "gold.t", "largest_table_mb": 1.0, "largest_index": "gold.i",
            "largest_index_mb": 0.5}
    return {"scale": scale_, "server": server, "load_average_at_start": [1.0, 1.0, 1.0], "load_average_at_end": [1.0, 1.0, 1.0], "oulad": part}


@pytest.mark.fast
def test_targets_hold_linearity_to_ten_against_one_and_memory_at_every_scale():
    """Time per row is judged 10x against 1x only (below 1x start-up costs dominate), memory at every scale."""
    runs = [_run(0.1, "embedded", 60, 300), _run(1, "embedded", 100, 400), _run(10, "embedded", 1300, 1100), _run(0.1, "stock", 90, 300)]
    rows = {(server, figure): met for server, figure, _, _, met in scale.targets(runs)}
    assert rows[("embedded", "OULAD end to end: time per row at 1× / at 0.1×")] is None
    assert rows[("embedded", "OULAD end to end: time per row at 10× / at 1×")] is False  # 1.3 × the time per row
    assert rows[("embedded", "OULAD peak RSS of any process at 1×")] is True
    assert rows[("embedded", "OULAD peak RSS of any process at 10×")] is False
    assert rows[("embedded", "OULAD end to end / COPY of its files at 10×")] is True
    assert scale.side_by_side(runs) == ["0.1×, stock / embedded: OULAD end to end 90.0 / 60.0 s = 1.50 ×; "
                                        "OULAD dbt busy (silver + gold + tests) 4.0 / 4.0 s = 1.00 ×"]
    table = scale.markdown({"runs": runs})
    assert table.count("| 0.1× |") == 2 and "| 10× | embedded |" in table and "✗ [embedded]" in table
