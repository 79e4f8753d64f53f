"""`edu-platform-dbt`: dbt's own command line (`dbt.cli.main:cli`, what the `dbt` script runs), except that
`--version` answers from the installed dbt-core package.

dagster-dbt runs `<dbt_executable> --version` before each dbt invocation to learn which dbt it drives, and
dbt's `--version` imports all of dbt and asks PyPI for the latest dbt-core and adapter releases: seconds per
dbt step for an answer the installed package already holds. The dbt resource names this command as its
`dbt_executable` (a public field), so no dagster-dbt internals are overridden.

It also dies with the process that started it (the run worker): a run worker killed outright (SIGKILL, an
out-of-memory kill, a container stopped past its grace period) never leaves a dbt building on its own.
"""

import ctypes
import os
import signal
import sys
from importlib.metadata import version

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this process when its parent dies (prctl PR_SET_PDEATHSIG); a parent
    already gone is the same. Elsewhere nothing is set."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL.value, 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        print(f"Core:\n  - installed: {version('dbt-core')}")
        return 0
    _die_with_parent()
    from dbt.cli.main import cli

    return cli()


if __name__ == "__main__":
    sys.exit(main())
