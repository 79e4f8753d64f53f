"""`edu-platform`: a thin command line over Dagster, dlt and dbt (they do the work)."""

import argparse
import os
import signal
import sys

from edu_platform.sources import SOURCES, source_module


def _cmd_db(args) -> int:
    from edu_platform.lib import embedded_server, warehouse

    if args.action == "url":
        print(warehouse.get_warehouse().url.render_as_string(hide_password=True))
    elif args.action == "start":
        wh = warehouse.get_warehouse()
        print(f"warehouse ready: {wh.url.render_as_string(hide_password=True)}")
    elif args.action == "stop":
        from edu_platform.lib.config import is_set

        if is_set("EDU_WAREHOUSE_URL"):
            print("EDU_WAREHOUSE_URL names an external server; nothing to stop")
        else:
            print("embedded PostgreSQL stopped" if embedded_server.stop() else "embedded PostgreSQL was not running")
    return 0


def _cmd_setup(args) -> int:
    from edu_platform.lib.environment import export_environment

    wh = export_environment()
    from edu_platform.lib.dbt import prepare_manifest
    from edu_platform.lib.roles import ensure_roles

    ensure_roles(wh)
    manifest = prepare_manifest()
    print(f"warehouse: {wh.url.render_as_string(hide_password=True)}\ndbt manifest: {manifest}")
    return 0


def _ensure_default_sources(log=print) -> None:
    for source in SOURCES:
        landing = source_module(source, "default_landing")
        if landing and hasattr(landing, "ensure_landed"):
            message = landing.ensure_landed()
            if message:
                log(message)


def _register_partitions(instance) -> None:
    for source in SOURCES:
        landing = source_module(source, "landing")
        if landing and hasattr(landing, "register_partitions"):
            landing.register_partitions(instance)


def _selection(text: str | None):
    """The --select expression as an AssetSelection that matches at least one asset, else a ValueError."""
    from dagster import AssetSelection

    from edu_platform.definitions import defs

    if not text:
        return AssetSelection.all()
    try:
        selection = AssetSelection.from_string(text)
        keys = selection.resolve(defs.resolve_asset_graph())
    except Exception as exc:
        reason = " ".join(str(exc).split())[:200]
        raise ValueError(f"--select {text!r} is not a valid asset selection ({reason}); e.g. 'group:dost_gold', 'key:bronze/oulad/*'") from None
    if not keys:
        raise ValueError(f"--select {text!r} matches no asset; e.g. 'group:dost_gold', 'key:bronze/oulad/*'")
    return selection


def _cmd_run(args) -> int:
    from dagster import DagsterInstance

    from edu_platform.lib.roles import ensure_roles
    from edu_platform.lib.runner import format_summary, run_selection
    from edu_platform.lib.environment import export_environment

    ensure_roles(export_environment())
    _ensure_default_sources()  # before the definitions load: the default Dost source sets its first week
    selection = _selection(args.select)
    instance = DagsterInstance.get()
    _register_partitions(instance)
    summary = run_selection(selection, instance, partition=args.partition)
    print(format_summary(summary))
    if summary.interrupted:
        return 130
    return 0 if summary.ok else 1


def _cmd_generate(args) -> int:
    module = source_module(args.source, "generator")
    print(module.generate_from_args(args))
    return 0


def _cmd_dev(args) -> int:
    from edu_platform.lib.settings import project_home
    from edu_platform.lib.environment import export_environment

    export_environment()
    _ensure_default_sources()
    # a shell started in the background ignores SIGINT/SIGTERM; dagster dev must not inherit that
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    os.chdir(project_home())
    os.execv(dagster, [dagster, "dev", "-w", "workspace.yaml", "-h", args.host, "-p", str(args.port)])
    return 0


# --- calendar (issue 21 / 18.4): `edu-platform partitions`, self-contained -------------------------------
def _cmd_partitions(args) -> int:
    """List the partitions (cadences, registered dynamic values, landing-root problems) or remove a value."""
    from dagster import DagsterInstance

    from edu_platform.lib.partitions import describe_partitions, remove_dynamic_partition
    from edu_platform.lib.environment import export_environment

    export_environment()
    from edu_platform.definitions import defs

    instance = DagsterInstance.get()
    landings = [m for m in (source_module(s, "landing") for s in SOURCES) if m and hasattr(m, "landing_report")]
    if args.action == "list":
        for line in describe_partitions(defs, instance):
            print(line)
        for landing in landings:
            for line in landing.landing_report():
                print(f"landing: {line}")
        return 0
    print(remove_dynamic_partition(defs, instance, args.dimension, args.name))
    for landing in landings:
        if args.name in landing.landed_values(args.dimension):
            print(f"warning: its folder still holds valid months; move it out of the landing root, or the next run registers {args.name} again")
    return 0


def _add_partitions_parser(sub) -> None:
    parts = sub.add_parser("partitions", help="list partitions, or remove a dynamic partition (e.g. a nanodegree)")
    actions = parts.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="cadences, registered nanodegrees and landing folders that are not partitions")
    remove = actions.add_parser("remove", help="remove one value of a dynamic dimension, e.g. `remove nanodegree robotics`")
    remove.add_argument("dimension", help="the dynamic dimension, e.g. nanodegree")
    remove.add_argument("name", help="the value to remove")
    parts.set_defaults(func=_cmd_partitions)
# --- end calendar ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edu-platform", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="materialize assets and checks, then print a summary")
    run.add_argument("--select", help="Dagster asset selection, e.g. 'group:oulad_gold' or 'key:bronze/oulad/*'")
    run.add_argument("--partition", help="one partition key; without it every missing partition plus the latest")
    run.set_defaults(func=_cmd_run)

    gen = sub.add_parser("generate", help="write deterministic synthetic source data")
    gen_sub = gen.add_subparsers(dest="source", required=True)
    for source in SOURCES:
        module = source_module(source, "generator")
        if module and hasattr(module, "add_arguments"):
            p = gen_sub.add_parser(source, help=(module.__doc__ or "").strip().splitlines()[0])
            module.add_arguments(p)
            p.set_defaults(func=_cmd_generate)

    db = sub.add_parser("db", help="the warehouse server")
    db.add_argument("action", choices=["url", "start", "stop"])
    db.set_defaults(func=_cmd_db)

    setup = sub.add_parser("setup", help="start the warehouse and build the dbt manifest")
    setup.set_defaults(func=_cmd_setup)

    dev = sub.add_parser("dev", help="the Dagster UI and daemon (dagster dev)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=_cmd_dev)
    _add_partitions_parser(sub)  # calendar
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"edu-platform: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
