"""`edu-platform-dbt`: dbt's own command line (`dbt.cli.main:cli`, what the `dbt` script runs), except that
`--version` answers from the installed dbt-core package.

dagster-dbt runs `<dbt_executable> --version` before each dbt invocation to learn which dbt it drives, and
dbt's `--version` imports all of dbt and asks PyPI for the latest dbt-core and adapter releases: seconds per
dbt step for an answer the installed package already holds. The dbt resource names this command as its
`dbt_executable` (a public field), so no dagster-dbt internals are overridden.
"""

import sys
from importlib.metadata import version


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        print(f"Core:\n  - installed: {version('dbt-core')}")
        return 0
    from dbt.cli.main import cli

    return cli()


if __name__ == "__main__":
    sys.exit(main())
