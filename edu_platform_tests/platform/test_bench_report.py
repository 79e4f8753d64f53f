"""bench/report.py: each figure is judged against its target, and the README's table is rewritten from the
results file between its markers (the rest of the README untouched)."""

import importlib.util
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


def _timed(median, low=None, high=None):
    return {"median": median, "min": low if low is not None else median, "max": high if high is not None else median}


def _results(oulad_ratio=9.5, week_ratio=0.04, course_ratio=4.5):
    return {
        "scale": 1.0, "repetitions": 3, "started_all": "2026-12-01T10:00:00+00:00",
        "copy_seconds": _timed(7.0), "bronze_seconds": _timed(8.4), "bronze_to_copy_ratio": 1.2,
        "bronze_peak_rss_mb": _timed(280.0), "bronze_peak_rss_mb_1m": _timed(260.0),
        "pandas_to_sql_seconds_1m": _timed(35.0), "bronze_seconds_1m": _timed(1.7),
        "oulad_copy_seconds": _timed(8.0), "oulad_end_to_end_seconds": _timed(8.0 * oulad_ratio, 70.0, 90.0),
        "oulad_end_to_end_to_copy_ratio": oulad_ratio,
        "oulad_end_to_end_phases": {"bronze": 9.0, "bronze_checks": 6.0, "dbt": 55.0, "silver": 3.0, "gold": 30.0, "dbt_tests": 25.0},
        "dost_pipe_copy_seconds": _timed(44.0), "dost_full_seconds": _timed(58.0), "dost_full_to_copy_ratio": 1.32,
        "dost_week_seconds": _timed(58.0 * week_ratio), "dost_week_to_full_ratio": week_ratio,
        "dost_week_rerun_seconds": _timed(3.1), "dost_week_rerun_to_full_ratio": 0.053,
        "udacity_copy_seconds": _timed(14.0), "udacity_full_history_seconds": _timed(14.0 * course_ratio),
        "udacity_full_history_runs": 1, "udacity_backfill_to_copy_ratio": course_ratio,
        "udacity_full_history_peak_rss_mb": _timed(700.0),
    }


def test_every_target_met_is_checked_and_a_miss_is_named():
    assert report.missed(_results()) == []
    text = report.text(_results())
    assert text.count("✓") == 6 and "✗" not in text
    missed = report.missed(_results(oulad_ratio=12.99, week_ratio=0.06, course_ratio=19.94))
    assert len(missed) == 3 and any("OULAD" in m for m in missed) and any("week" in m for m in missed)
    assert any("Course data" in m for m in missed) and "19.94 ×" in report.text(_results(course_ratio=19.94))
    assert "12.99 ×" in report.text(_results(oulad_ratio=12.99))


def test_peak_rss_that_grows_with_the_rows_misses_flatness():
    results = _results()
    results["bronze_peak_rss_mb"] = _timed(450.0)  # under 512 MB, but 1.7 x the 1 M-row slice's
    assert any("RSS" in m for m in report.missed(results))


def test_readme_table_rewritten_between_markers_only(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{report.BEGIN}\n| old | table |\n{report.END}\n\nafter\n")
    assert report.rewrite_readme(_results(oulad_ratio=9.87), readme)
    content = readme.read_text()
    assert content.startswith("# Title\n\nbefore\n\n") and content.endswith("\n\nafter\n")
    assert "| old | table |" not in content
    table = content[content.index(report.BEGIN) : content.index(report.END)]
    assert "9.87 ×" in table and "| ≤ 10 × | ✓ |" in table
    # a second rewrite from the same results changes nothing (idempotent)
    assert report.rewrite_readme(_results(oulad_ratio=9.87), readme) and readme.read_text() == content


def test_readme_without_markers_is_left_alone(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    assert not report.rewrite_readme(_results(), readme)
    assert readme.read_text() == "no markers here\n"


def test_command_exits_non_zero_on_a_miss(tmp_path, capsys, monkeypatch):
    results = tmp_path / "latest.json"
    results.write_text(json.dumps({**_results(oulad_ratio=13.0), "scale": 0.1}))  # not full scale: README untouched
    monkeypatch.setattr("sys.argv", ["report.py", str(results)])
    assert report.main() == 1
    assert "✗ OULAD end to end" in capsys.readouterr().out


def test_a_figure_not_measured_is_shown_as_such_not_dropped():
    results = {k: v for k, v in _results().items() if not k.startswith("dost_")}
    text = report.text(results)
    assert "Dost full history / pipe COPY: not measured" in text and "--only dost" in text
    results = {k: v for k, v in _results().items() if not k.startswith("udacity_")}
    assert "Course data: full history / COPY of its fact files: not measured" in report.text(results)
    assert report.missed(results) == []
