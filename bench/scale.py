"""`make bench-scale`: how the cost grows with the data, on the embedded server and on a stock PostgreSQL.

For each scale (`--scales 0.1,1,10`: multiples of the published sizes) and each server (`--servers embedded,stock`)
it runs, one repetition each, the measurements of bench/measure.py: OULAD's COPY of its files and OULAD end to end
(bronze -> gold, every check), the Dost pipe COPY and the Dost full history plus one new week's merge. Each
measurement runs in a fresh process whose process tree (the platform, dbt, dlt's workers) is sampled from /proc
for every process's peak RSS (VmHWM). Per scale and server: seconds, seconds per million rows, peak RSS per
process kind, the server's temp-file bytes during the run, the largest table and index. Data is generated once
per scale under bench/data/<scale>/ (the Dost source as a database on the benchmark's embedded server).

`stock` is Debian's PostgreSQL 15 with its default settings: a throw-away cluster (initdb into a tmp dir, a unix
socket there, pg_ctl start) that is stopped and removed at the end, also on a failure or Ctrl-C. The figures go to
bench/results/scale.json and a plot (bench/results/scale.png, with the `bench` extra's matplotlib), and the
issue's targets are printed as ratios with ✓/✗. Exit status 1 when a measured target is missed.
"""

import argparse
import datetime as dt
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
PG_BIN = Path(os.environ.get("EDU_BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
LINEAR = 1.25  # time per row at the largest scale may be at most this multiple of the one before (10x vs 1x)
RSS_LIMIT_MB = 1024  # any platform process, at every scale
E2E_TO_COPY = 6.0  # OULAD end to end / COPY of its files, at 1x and 10x


# --- the process tree's memory ------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


def _hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _kind(pid: int, root: int, root_cmd: str, cmd: str) -> str:
    """platform (the measuring process: Dagster, dlt and the checks run in it), dbt, dlt worker (a process dlt's
    normalize/load pool started, or a fork of the platform), or the program's name."""
    if pid == root:
        return "platform"
    if "dbt" in cmd:
        return "dbt"
    if "resource_tracker" in cmd or "forkserver" in cmd:
        return "multiprocessing helper"
    if cmd == root_cmd or "multiprocessing" in cmd:
        return "dlt worker"
    return Path(cmd.split(" ", 1)[0]).name or "other"


class TreeSampler(threading.Thread):
    """Samples the process tree under `root` every `interval` s: each process's VmHWM (its own peak RSS, which
    only grows, so a sample shortly before it exits is its peak) kept by kind."""

    def __init__(self, root: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.interval, self.stop = root, interval, threading.Event()
        self.root_cmd = _cmdline(root)
        self.peak_kb: dict[int, tuple[str, int]] = {}

    def run(self):
        while not self.stop.is_set():
            todo = [self.root]
            while todo:
                pid = todo.pop()
                todo += _children(pid)
                hwm = _hwm_kb(pid)
                if hwm:
                    kind = self.peak_kb.get(pid, (None,))[0] or _kind(pid, self.root, self.root_cmd, _cmdline(pid))
                    self.peak_kb[pid] = (kind, max(hwm, self.peak_kb.get(pid, (kind, 0))[1]))
            self.stop.wait(self.interval)

    def by_kind(self) -> dict:
        """{kind: {"peak_rss_mb": largest single process, "processes": how many were seen}}."""
        out: dict = {}
        for kind, kb in self.peak_kb.values():
            entry = out.setdefault(kind, {"peak_rss_mb": 0.0, "processes": 0})
            entry["peak_rss_mb"] = max(entry["peak_rss_mb"], round(kb / 1024, 1))
            entry["processes"] += 1
        return out


_RUNNING: set = set()


def measure(name: str, *args: str, env: dict) -> dict:
    """One bench/measure.py measurement in a fresh process group, its tree sampled; its JSON plus `rss` (by kind),
    `peak_rss_mb` (getrusage of the waited-for children: the platform and what it waited for) and the load."""
    load = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([PY, str(Path(__file__).with_name("measure.py")), name, *args], stdout=out, stderr=err,
                                 env={**env, "PYTHONWARNINGS": "ignore"}, start_new_session=True)
        _RUNNING.add(child.pid)
        sampler = TreeSampler(child.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            _RUNNING.discard(child.pid)
            sampler.stop.set()
            sampler.join()
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"measurement {name} {' '.join(args)} failed:\n{err.read()[-3000:]}")
        figures = json.loads(out.read().strip().splitlines()[-1])
    figures["rss"] = sampler.by_kind()
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    figures["load_average"] = [load, round(os.getloadavg()[0], 2)]
    return figures


def _stop_children():
    for pid in list(_RUNNING):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- servers -------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def stock_server(bin_dir: Path = PG_BIN):
    """A throw-away PostgreSQL cluster with the distribution's default settings, reached on a unix socket in its own
    tmp dir (no TCP listener); yields its libpq URL. Stopped and removed on leaving, whatever happened. As root the
    server runs as the `postgres` system user (initdb refuses root)."""
    if not (bin_dir / "initdb").exists():
        raise RuntimeError(f"no PostgreSQL binaries in {bin_dir} (apt-get install postgresql, or set EDU_BENCH_PG_BIN)")
    home = Path(tempfile.mkdtemp(prefix="edu_stock_pg_"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(home, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = home / "data", _free_port()
    started = False

    def pg_ctl(*args: str, check: bool = True):
        return subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), *args],
                              capture_output=True, text=True, check=check)

    try:
        subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], capture_output=True, text=True, check=True)
        started = True
        pg_ctl("-w", "-l", str(home / "server.log"), "-o",
               f"-p {port} -c listen_addresses='' -c unix_socket_directories='{home}'", "start")
        yield f"postgresql://postgres@localhost:{port}/postgres?host={home}"
    except subprocess.CalledProcessError as error:
        log = (home / "server.log").read_text()[-2000:] if (home / "server.log").exists() else ""
        raise RuntimeError(f"the stock PostgreSQL cluster did not start: {error.stderr.strip()[-1000:]} {log}") from None
    finally:
        if started:
            pg_ctl("-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(home, ignore_errors=True)


def _env(server: str, url: str | None, data: Path, planner: bool = True) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("EDU_WAREHOUSE_URL", "EDU_BENCH_SOURCE_URL")}
    env["EDU_PLANNER_SETTINGS"] = "true" if planner else "false"  # dbt/macros/planner_settings.sql on or off
    env["EDU_BENCH_DATA"] = str(data)
    env["EDU_STATE_DIR"] = str(data / "state")  # the benchmark's own embedded server (and the Dost sources)
    if server == "stock":
        env["EDU_WAREHOUSE_URL"] = url
    return env


# --- one scale on one server -----------------------------------------------------------------------------------


def _per_million(seconds: float, rows: int) -> float:
    return round(seconds / (rows / 1e6), 3) if rows else None


def _sum_rows(counts: dict) -> int:
    return sum(v for v in counts.values() if isinstance(v, int))


def run_scale(scale: float, server: str, env: dict, only: str | None, data: Path) -> dict:
    planner = env["EDU_PLANNER_SETTINGS"] == "true"
    if not planner:
        server = f"{server}, no planner settings"
    out: dict = {"scale": scale, "server": server, "planner_settings": planner, "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                 "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    if only in (None, "oulad"):
        folder = data / f"{scale:g}" / "oulad"
        print(f"  [{server} {scale:g}] OULAD data (cached in {folder}) ...", flush=True)
        rows = _sum_rows(measure("prepare", str(folder), str(scale), env=env)["rows"])
        print(f"  [{server} {scale:g}] OULAD COPY of the files ...", flush=True)
        copy = measure("copy_oulad", str(folder), env=env)
        print(f"  [{server} {scale:g}] OULAD end to end ...", flush=True)
        e2e = measure("oulad_end_to_end", str(folder), env=env)
        out["oulad"] = {
            "rows": rows,
            "copy_seconds": copy["seconds"],
            "seconds": e2e["seconds"],
            "seconds_per_million_rows": _per_million(e2e["seconds"], rows),
            "to_copy_ratio": round(e2e["seconds"] / max(copy["seconds"], 0.001), 2),
            "phases": {k[len("phase_"):-len("_seconds")]: v for k, v in e2e.items() if k.startswith("phase_")},
            "rss": e2e["rss"], "peak_rss_mb": e2e["peak_rss_mb"], "temp_mb": e2e["temp_mb"],
            "largest_table": e2e["largest_table"], "largest_table_mb": e2e["largest_table_mb"],
            "largest_index": e2e["largest_index"], "largest_index_mb": e2e["largest_index_mb"],
            "load_average": e2e["load_average"],
        }
    if only in (None, "dost"):
        print(f"  [{server} {scale:g}] Dost source (cached on the benchmark's embedded server) ...", flush=True)
        prep = measure("dost_prepare", str(scale), env=_env("embedded", None, data))
        env = {**env, "EDU_BENCH_SOURCE_URL": prep["url"]}
        rows = _sum_rows(prep["rows"])
        print(f"  [{server} {scale:g}] Dost pipe COPY ...", flush=True)
        pipe = measure("dost_pipe_copy", str(scale), env=env)
        print(f"  [{server} {scale:g}] Dost full history, a re-run week, a new week ...", flush=True)
        load = measure("dost_load", str(scale), env=env)
        out["dost"] = {
            "rows": rows,
            "pipe_copy_seconds": pipe["seconds"],
            "full_seconds": load["full_seconds"],
            "full_seconds_per_million_rows": _per_million(load["full_seconds"], rows),
            "full_to_copy_ratio": round(load["full_seconds"] / max(pipe["seconds"], 0.001), 2),
            "week_seconds": load["week_seconds"],
            # a week's rows grow with the scale as the history's do (same number of weeks): per million history rows
            "week_seconds_per_million_rows": _per_million(load["week_seconds"], rows),
            "week_rerun_seconds": load["week_rerun_seconds"],
            "rss": load["rss"], "peak_rss_mb": load["peak_rss_mb"], "temp_mb": load["temp_mb"],
            "week_temp_mb": load["week_temp_mb"],
            "largest_table": load["largest_table"], "largest_table_mb": load["largest_table_mb"],
            "largest_index": load["largest_index"], "largest_index_mb": load["largest_index_mb"],
            "load_average": load["load_average"],
        }
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


# --- targets -----------------------------------------------------------------------------------------------------


def _max_rss(part: dict) -> float:
    return max((v["peak_rss_mb"] for v in part["rss"].values()), default=0.0)


def targets(runs: list[dict]) -> list[tuple[str, str, str, str, bool]]:
    """(server, figure, value, target, met) for each of the issue's targets the runs can answer."""
    rows = []
    for server in sorted({r["server"] for r in runs}):
        mine = sorted((r for r in runs if r["server"] == server), key=lambda r: r["scale"])
        for part, key in (("oulad", "seconds_per_million_rows"), ("dost", "full_seconds_per_million_rows"),
                          ("dost", "week_seconds_per_million_rows")):
            have = [r for r in mine if part in r]
            for small, large in zip(have, have[1:]):
                ratio = large[part][key] / small[part][key]
                label = {"seconds_per_million_rows": "OULAD end to end", "full_seconds_per_million_rows": "Dost full history",
                         "week_seconds_per_million_rows": "Dost new week"}[key]
                # below 1x fixed costs (dbt's and Dagster's start-up) dominate, so time per row only falls there
                applies = small["scale"] >= 1
                rows.append((server, f"{label}: time per row at {large['scale']:g}× / at {small['scale']:g}×",
                             f"{large[part][key]:.2f} / {small[part][key]:.2f} s per M rows = {ratio:.2f} ×",
                             f"≤ {LINEAR} ×" + ("" if applies else " (set for 10× vs 1×)"), ratio <= LINEAR if applies else None))
        for r in mine:
            for part in ("oulad", "dost"):
                if part in r:
                    peak = _max_rss(r[part])
                    which = max(r[part]["rss"].items(), key=lambda kv: kv[1]["peak_rss_mb"])[0] if r[part]["rss"] else "-"
                    rows.append((server, f"{part.upper() if part == 'oulad' else 'Dost'} peak RSS of any process at {r['scale']:g}×",
                                 f"{peak:.0f} MB ({which})", f"≤ {RSS_LIMIT_MB} MB", peak <= RSS_LIMIT_MB))
            if "oulad" in r:
                ratio = r["oulad"]["to_copy_ratio"]
                applies = r["scale"] >= 1
                rows.append((server, f"OULAD end to end / COPY of its files at {r['scale']:g}×",
                             f"{r['oulad']['seconds']:.1f} / {r['oulad']['copy_seconds']:.1f} s = {ratio:.2f} ×",
                             f"≤ {E2E_TO_COPY:g} ×" + ("" if applies else " (set for 1× and 10×)"),
                             ratio <= E2E_TO_COPY if applies else None))
    return rows


def side_by_side(runs: list[dict]) -> list[str]:
    """Stock / embedded for each scale measured on both: how much the embedded server's tuning is worth."""
    lines = []
    for scale in sorted({r["scale"] for r in runs}):
        pair = {r["server"]: r for r in runs if r["scale"] == scale}
        if "embedded" not in pair or "stock" not in pair:
            continue
        e, st = pair["embedded"], pair["stock"]
        parts = []
        for part, key, label in (("oulad", "seconds", "OULAD end to end"), ("dost", "full_seconds", "Dost full history"),
                                 ("dost", "week_seconds", "Dost new week"), ("dost", "week_rerun_seconds", "Dost re-run week")):
            if part in e and part in st:
                parts.append(f"{label} {st[part][key]:.1f} / {e[part][key]:.1f} s = {st[part][key] / e[part][key]:.2f} ×")
        if "oulad" in e and "oulad" in st:
            busy = lambda r: sum(r["oulad"]["phases"].get(k, 0) for k in ("silver", "gold", "dbt_tests"))  # noqa: E731
            parts.append(f"OULAD dbt busy (silver + gold + tests) {busy(st):.1f} / {busy(e):.1f} s = {busy(st) / busy(e):.2f} ×")
        lines.append(f"{scale:g}×, stock / embedded: " + "; ".join(parts))
    return lines


def text(results: dict) -> str:
    lines = []
    for r in sorted(results["runs"], key=lambda r: (r["scale"], r["server"])):
        head = f"scale {r['scale']:g} on {r['server']} (load average {r['load_average_at_start'][0]}→{r['load_average_at_end'][0]})"
        lines.append(head)
        if o := r.get("oulad"):
            lines.append(f"   OULAD {o['rows']:,} rows: end to end {o['seconds']:.1f} s ({o['seconds_per_million_rows']:.2f} s per M rows), "
                         f"COPY {o['copy_seconds']:.1f} s, ratio {o['to_copy_ratio']:.2f} ×; temp files {o['temp_mb']:.0f} MB; "
                         f"largest table {o['largest_table']} {o['largest_table_mb']:.0f} MB, index {o['largest_index']} {o['largest_index_mb']:.0f} MB")
            lines.append("      peak RSS: " + ", ".join(f"{k} {v['peak_rss_mb']:.0f} MB ×{v['processes']}" for k, v in sorted(o["rss"].items())))
        if d := r.get("dost"):
            lines.append(f"   Dost {d['rows']:,} rows: full history {d['full_seconds']:.1f} s ({d['full_seconds_per_million_rows']:.2f} s per M rows), "
                         f"pipe COPY {d['pipe_copy_seconds']:.1f} s, ratio {d['full_to_copy_ratio']:.2f} ×; new week {d['week_seconds']:.1f} s, "
                         f"re-run week {d['week_rerun_seconds']:.1f} s; temp files {d['temp_mb']:.0f} MB (week {d['week_temp_mb']:.0f} MB); "
                         f"largest table {d['largest_table']} {d['largest_table_mb']:.0f} MB, index {d['largest_index']} {d['largest_index_mb']:.0f} MB")
            lines.append("      peak RSS: " + ", ".join(f"{k} {v['peak_rss_mb']:.0f} MB ×{v['processes']}" for k, v in sorted(d["rss"].items())))
    lines += ["", *side_by_side(results["runs"])]
    lines.append("\ntargets (issue #19):")
    for server, figure, value, target, met in targets(results["runs"]):
        mark = " " if met is None else "✓" if met else "✗"
        lines.append(f" {mark} [{server}] {figure}: {value}   [target {target}]")
    return "\n".join(lines)


BEGIN, END = "<!-- scale:begin (written by bench/scale.py from bench/results/scale.json) -->", "<!-- scale:end -->"


def markdown(results: dict) -> str:
    """The README's table: one row per scale and server, then the targets."""
    lines = ["| scale | server | load avg (1 min, start→end) | OULAD rows | OULAD end to end | s per M rows | / COPY | "
             "Dost rows | Dost full history | s per M rows | / pipe COPY | new week | peak RSS (largest process) | temp files | "
             "largest table; index |", "|" + "---|" * 15]
    for r in sorted(results["runs"], key=lambda r: (r["scale"], r["server"])):
        o, d = r.get("oulad"), r.get("dost")
        rss = max([(v["peak_rss_mb"], f"{part} {k}") for part in ("oulad", "dost") if r.get(part)
                   for k, v in r[part]["rss"].items()], default=(0, "-"))
        big = max([(r[p]["largest_table_mb"], r[p]["largest_table"], r[p]["largest_index_mb"], r[p]["largest_index"])
                   for p in ("oulad", "dost") if r.get(p)], default=None)
        lines.append(" | ".join([
            f"| {r['scale']:g}×", r["server"], f"{r['load_average_at_start'][0]:g}→{r['load_average_at_end'][0]:g}",
            f"{o['rows']:,}" if o else "–", f"{o['seconds']:.1f} s" if o else "–", f"{o['seconds_per_million_rows']:.1f}" if o else "–",
            f"{o['to_copy_ratio']:.1f} ×" if o else "–", f"{d['rows']:,}" if d else "–", f"{d['full_seconds']:.1f} s" if d else "–",
            f"{d['full_seconds_per_million_rows']:.1f}" if d else "–", f"{d['full_to_copy_ratio']:.2f} ×" if d else "–",
            f"{d['week_seconds']:.2f} s" if d else "–", f"{rss[0]:.0f} MB ({rss[1]})",
            " + ".join(f"{r[p]['temp_mb']:.0f} MB" for p in ("oulad", "dost") if r.get(p)),
            f"{big[1]} {big[0]:.0f} MB; {big[3]} {big[2]:.0f} MB |" if big else "– |"]))
    lines += ["", *(f"- {line}" for line in side_by_side(results["runs"]))]
    lines += ["", "Targets (issue #19) the measured scales can answer:", ""]
    for server, figure, value, target, met in targets(results["runs"]):
        lines.append(f"- {'' if met is None else '✓ ' if met else '✗ '}[{server}] {figure}: {value} (target {target})")
    return "\n".join(lines)


def rewrite_readme(results: dict, readme: Path = ROOT / "README.md") -> bool:
    """Replace the sweep's table between the scale markers; False when the README has no markers."""
    from report import replace_between_markers  # bench/report.py (bench/ is on the path, as for measure.py)

    return replace_between_markers(readme, BEGIN, END, markdown(results))


def plot(results: dict, path: Path) -> bool:
    """Time per part and peak RSS against scale, log axes, one line per server; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    style = {"embedded": "-", "stock": "--", "embedded, no planner settings": "-.", "stock, no planner settings": ":"}
    for server in sorted({r["server"] for r in results["runs"]}):
        mine = sorted((r for r in results["runs"] if r["server"] == server), key=lambda r: r["scale"])
        for part, key, label in (("oulad", "seconds", "OULAD end to end"), ("dost", "full_seconds", "Dost full history"),
                                 ("dost", "week_seconds", "Dost new week")):
            pts = [(r["scale"], r[part][key]) for r in mine if part in r]
            if pts:
                left.plot(*zip(*pts), style[server], marker="o", label=f"{label} ({server})")
        for part, label in (("oulad", "OULAD"), ("dost", "Dost")):
            pts = [(r["scale"], _max_rss(r[part])) for r in mine if part in r]
            if pts:
                right.plot(*zip(*pts), style[server], marker="o", label=f"{label}, largest process ({server})")
    right.axhline(RSS_LIMIT_MB, color="grey", linewidth=0.8, label=f"target {RSS_LIMIT_MB} MB")
    for ax, title, unit in ((left, "time", "seconds"), (right, "peak RSS of any process", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("scale (× the published sizes)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    loads = sorted({r["load_average_at_start"][0] for r in results["runs"]})
    fig.suptitle(f"edu_platform scale sweep, {results['started'][:16]} UTC, {os.cpu_count()} CPUs, "
                 f"1-min load average {loads[0]:g}–{loads[-1]:g} at the starts")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="0.1,1,10", help="comma-separated multiples of the published sizes")
    parser.add_argument("--servers", default="embedded,stock", help="embedded, stock, or both (comma-separated)")
    parser.add_argument("--server", dest="servers", help="same as --servers")
    parser.add_argument("--only", choices=["oulad", "dost"], default=None)
    parser.add_argument("--no-planner-settings", action="store_true",
                        help="EDU_PLANNER_SETTINGS=false: the dbt models' planner switches off (reported as its own server line)")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json", help="the JSON; the PNG goes beside it")
    parser.add_argument("--fresh", action="store_true", help="forget the runs already in --out (by default a run"
                        " replaces the same scale and server there and keeps the others, so scales can be measured apart)")
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data", help="where generated data is cached")
    parser.add_argument("--report", action="store_true", help="measure nothing: reprint the targets and redraw the plot from --out")
    args = parser.parse_args(argv)
    if args.report:
        results = json.loads(args.out.read_text())
        plot(results, args.out.with_suffix(".png"))
        if args.out == RESULTS / "scale.json":
            rewrite_readme(results)
        print(text(results))
        return 1 if any(met is False for *_, met in targets(results["runs"])) else 0
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if unknown := set(servers) - {"embedded", "stock"}:
        parser.error(f"unknown server {', '.join(sorted(unknown))}: expected embedded or stock")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    results = {"started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
               "scales": scales, "servers": servers, "only": args.only, "runs": []}
    # SIGTERM ends the sweep as Ctrl-C does: the measuring process groups are killed and the stock cluster removed
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        for server in servers:
            with stock_server() if server == "stock" else _nothing() as url:
                for scale in scales:
                    print(f"scale {scale:g} on the {server} server ...", flush=True)
                    results["runs"].append(run_scale(scale, server, _env(server, url, args.data, not args.no_planner_settings), args.only, args.data))
                    if url:
                        results["runs"][-1]["stock_cluster"] = url.split("?host=", 1)[1]  # removed when the server ends
    except BaseException:
        _stop_children()
        raise
    finally:
        results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if results["runs"]:
            if args.out.exists() and not args.fresh:
                # a run of one part (--only) keeps the other part measured earlier at the same scale and server
                earlier = json.loads(args.out.read_text())
                merged = {(r["scale"], r["server"]): r for r in earlier["runs"]}
                for r in results["runs"]:
                    key = (r["scale"], r["server"])
                    merged[key] = {**merged[key], **r} if key in merged and args.only else r
                results["runs"] = sorted(merged.values(), key=lambda r: (r["server"], r["scale"]))
                results["started"] = min(earlier["started"], results["started"])
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=2))
            png = args.out.with_suffix(".png")
            drawn = plot(results, png)
            print(f"\nwritten: {args.out}" + (f" and {png}" if drawn else " (no plot: pip install -e '.[bench]' for matplotlib)"))
            if args.out == RESULTS / "scale.json" and rewrite_readme(results):
                print("README scale table rewritten")
    print(text(results))
    return 1 if any(met is False for *_, met in targets(results["runs"])) else 0


@contextmanager
def _nothing():
    yield None


if __name__ == "__main__":
    sys.exit(main())
