"""The benchmark's figures against their targets, from bench/results/latest.json: printed with ✓/✗ at the end of
every `make bench`, and written into the README's Benchmark table (between the bench markers), so the table is
always the last run's and never typed by hand. Exit status 1 when a measured figure misses its target."""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "bench" / "results" / "latest.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin (written by bench/report.py from bench/results/latest.json) -->", "<!-- bench:end -->"
FLAT = 1.25  # bronze peak RSS at full scale may be at most this multiple of the 1 M-row slice's (10x fewer rows)


def _m(r: dict, key: str):
    value = r.get(key)
    return value.get("median") if isinstance(value, dict) else value


def _s(r: dict, key: str) -> str:
    """`median s (min–max)` of a timed figure."""
    v = r[key]
    return f"{v['median']:.2f} s ({v['min']:.2f}–{v['max']:.2f})"


def _not_measured(figure: str, part: str, target: str) -> tuple[str, str, str, None]:
    return figure, f"not measured at this scale (`bench/run.py --only {part}`)", target, None


def _rows(r: dict) -> list[tuple[str, str, str, bool | None]]:
    """(figure, value, target, met) for every figure the results hold; met is None when there is no target."""
    rows = []
    if "bronze_to_copy_ratio" in r:
        rows.append(("studentVle: platform bronze / raw COPY",
                     f"{_s(r, 'bronze_seconds')} / {_s(r, 'copy_seconds')} = {r['bronze_to_copy_ratio']:.2f} ×",
                     "≤ 1.5 ×", r["bronze_to_copy_ratio"] <= 1.5))
    else:
        rows.append(_not_measured("studentVle: platform bronze / raw COPY", "oulad", "≤ 1.5 ×"))
    if "bronze_peak_rss_mb" in r:
        full, slice_ = _m(r, "bronze_peak_rss_mb"), _m(r, "bronze_peak_rss_mb_1m")
        flat = slice_ is None or full <= FLAT * slice_
        rows.append(("bronze peak RSS (full studentVle; 1 M-row slice)",
                     f"{full:.0f} MB" + (f"; {slice_:.0f} MB" if slice_ is not None else ""),
                     f"≤ 512 MB, flat (≤ {FLAT} × the slice's)", full <= 512 and flat))
    else:
        rows.append(_not_measured("bronze peak RSS", "oulad", "≤ 512 MB, flat"))
    if "pandas_to_sql_seconds_1m" in r:
        rows.append(("pandas `to_sql` vs bronze, 1 M rows",
                     f"{_s(r, 'pandas_to_sql_seconds_1m')} vs {_s(r, 'bronze_seconds_1m')}", "", None))
    if "oulad_end_to_end_to_copy_ratio" in r:
        rows.append(("OULAD end to end (7 files, bronze → gold, every check) / COPY of the files",
                     f"{_s(r, 'oulad_end_to_end_seconds')} / {_s(r, 'oulad_copy_seconds')} = "
                     f"{r['oulad_end_to_end_to_copy_ratio']:.2f} ×", "≤ 10 ×", r["oulad_end_to_end_to_copy_ratio"] <= 10))
    else:
        rows.append(_not_measured("OULAD end to end / COPY of the files", "oulad", "≤ 10 ×"))
    if phases := r.get("oulad_end_to_end_phases"):
        rows.append(("OULAD end to end: where the time goes (medians)",
                     f"bronze {phases['bronze']:.1f} s, bronze checks {phases['bronze_checks']:.1f} s, dbt build "
                     f"{phases['dbt']:.1f} s (busy: silver {phases['silver']:.1f} s, gold {phases['gold']:.1f} s, "
                     f"tests {phases['dbt_tests']:.1f} s)", "", None))
    if "dost_full_to_copy_ratio" in r:
        rss = _m(r, "dost_load_peak_rss_mb")
        rows.append(("Dost full history / pipe COPY",
                     f"{_s(r, 'dost_full_seconds')} / {_s(r, 'dost_pipe_copy_seconds')} = {r['dost_full_to_copy_ratio']:.2f} ×"
                     + (f"; peak RSS {rss:.0f} MB" if rss else ""), "≤ 3 ×", r["dost_full_to_copy_ratio"] <= 3))
    else:
        rows.append(_not_measured("Dost full history / pipe COPY", "dost", "≤ 3 ×"))
    if "dost_week_to_full_ratio" in r:
        rows.append(("Dost one new week after the history / full history",
                     f"{_s(r, 'dost_week_seconds')} = {r['dost_week_to_full_ratio']:.3f} of the full history",
                     "≤ 0.05", r["dost_week_to_full_ratio"] <= 0.05))
    else:
        rows.append(_not_measured("Dost one new week after the history / full history", "dost", "≤ 0.05"))
    if "dost_week_rerun_to_full_ratio" in r:
        rows.append(("Dost re-run of a loaded week / full history",
                     f"{_s(r, 'dost_week_rerun_seconds')} = {r['dost_week_rerun_to_full_ratio']:.3f}", "", None))
    if "udacity_backfill_to_copy_ratio" in r:
        rss = _m(r, "udacity_full_history_peak_rss_mb")
        rows.append(("Course data: full history (24 months × 3 nanodegrees) in range runs / COPY of its fact files",
                     f"{_s(r, 'udacity_full_history_seconds')} in {_m(r, 'udacity_full_history_runs'):.0f} run(s) / "
                     f"{_s(r, 'udacity_copy_seconds')} = {r['udacity_backfill_to_copy_ratio']:.2f} ×"
                     + (f"; peak RSS {rss:.0f} MB" if rss else ""), "≤ 5 ×", r["udacity_backfill_to_copy_ratio"] <= 5))
    else:
        rows.append(_not_measured("Course data: full history / COPY of its fact files", "udacity", "≤ 5 ×"))
    if floor := r.get("udacity_floor"):
        rows.append(("Course data: the plain-SQL floor (COPY of the fact files, one row per event, sessions; once)",
                     f"{floor['copy_seconds']:.2f} + {floor['dedup_seconds']:.2f} + {floor['sessions_seconds']:.2f} s ="
                     f" {r['udacity_floor_to_copy_ratio']:.2f} × its COPY", "", None))
    return rows


def _when(r: dict) -> str:
    stamps = sorted(v[:16].replace("T", " ") for k, v in r.items() if k.startswith("started_"))
    return ", ".join(stamps) + " UTC" if stamps else "unknown"


def _load(r: dict) -> str:
    """The machine's 1-minute load average during each part of the run, against its CPU count."""
    parts = [f"{k[len('load_'):]}: {v['start']}→{v.get('end', '?')} on {v['cpus']} CPUs"
             for k, v in sorted(r.items()) if k.startswith("load_") and isinstance(v, dict)]
    return "; ".join(parts) or "not recorded"


def markdown(r: dict) -> str:
    lines = [
        f"Last benchmark run (`make bench` or `bench/run.py --only …`; scale {r.get('scale', '?'):g}, medians of {r.get('repetitions', '?')} with min–max; "
        f"started {_when(r)}; load average {_load(r)}):",
        "",
        "| figure | measured | target | |",
        "|---|---|---|---|",
    ]
    for figure, value, target, met in _rows(r):
        lines.append(f"| {figure} | {value} | {target} | {'' if met is None else '✓' if met else '✗'} |")
    return "\n".join(lines)


def text(r: dict) -> str:
    lines = [f"\nbenchmark figures against their targets (scale {r.get('scale', '?'):g}; load average {_load(r)}):"]
    for figure, value, target, met in _rows(r):
        mark = " " if met is None else "✓" if met else "✗"
        lines.append(f" {mark} {figure}: {value}" + (f"   [target {target}]" if target else ""))
    if r.get("scale") != 1.0:
        lines.append("   (the targets are for full scale; the README keeps the last full-scale run)")
    return "\n".join(lines)


def replace_between_markers(readme: Path, begin: str, end: str, body: str) -> bool:
    """Replace what sits between two marker lines of the README; False when it has no such markers."""
    content = readme.read_text()
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(content):
        return False
    readme.write_text(pattern.sub(lambda _: f"{begin}\n{body}\n{end}", content))
    return True


def rewrite_readme(r: dict, readme: Path = README) -> bool:
    """Replace the table between the bench markers; False when the README has no markers."""
    return replace_between_markers(readme, BEGIN, END, markdown(r))


def missed(r: dict) -> list[str]:
    return [figure for figure, _, _, met in _rows(r) if met is False]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", nargs="?", type=Path, default=LATEST)
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args()
    r = json.loads(args.results.read_text())
    print(text(r))
    if r.get("scale") == 1.0 and not args.no_readme:
        print(f"README table {'rewritten' if rewrite_readme(r) else 'NOT rewritten (no bench markers)'} from {args.results}")
    return 1 if missed(r) else 0


if __name__ == "__main__":
    sys.exit(main())
