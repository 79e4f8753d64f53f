"""Synthetic sources for a demonstration deployment (compose profile `demo`, used by `make deploy-test`).

OULAD files land in /data/landing/oulad (the user code's OULAD_SOURCE); a Dost source database
`edu_dost_source` is generated on the compose PostgreSQL with a read-only login `edu_dost_reader`
(password EDU_DOST_SOURCE_PASSWORD), which the user code reads through DOST_SOURCE_URL, as it would read a
partner's real database. Runs with the admin URL, once; a second run keeps what exists.
"""

import os
import sys
from pathlib import Path

from psycopg2 import sql

from edu_platform.synthetic.dost import generate as generate_dost
from edu_platform.synthetic.dost import source_exists
from edu_platform.synthetic.oulad import generate as generate_oulad
from edu_platform.lib.warehouse import get_warehouse

OULAD_DIR = Path("/data/landing/oulad")
DOST_DB = "edu_dost_source"
DOST_READER = "edu_dost_reader"


def main() -> int:
    if not (OULAD_DIR / "studentVle.csv").exists():
        counts = generate_oulad(OULAD_DIR, scale=float(os.environ.get("EDU_OULAD_SCALE", "0.02")))
        print(f"demo data: OULAD in {OULAD_DIR} ({counts['studentVle']} studentVle rows)")
    dost = get_warehouse().with_database(DOST_DB).ensure_database()
    if not source_exists(dost):
        start = os.environ.get("EDU_DEMO_DOST_START", "2026-01-05")
        counts = generate_dost(dost, scale=float(os.environ.get("EDU_DOST_SCALE", "0.05")), weeks=4, start=start)
        print(f"demo data: Dost source {DOST_DB}, 4 weeks from {start} ({counts['campaign']} calls)")
    password = os.environ.get("EDU_DOST_SOURCE_PASSWORD")
    if password:
        with dost.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (DOST_READER,))
            verb = "ALTER" if cur.fetchone() else "CREATE"
            cur.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(DOST_READER), sql.Literal(password)))
            cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(DOST_DB), sql.Identifier(DOST_READER)))
            cur.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'")
            for (schema,) in cur.fetchall():
                names = (sql.Identifier(schema), sql.Identifier(DOST_READER))
                cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(*names))
                cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(*names))
        print(f"demo data: {DOST_READER} reads {DOST_DB}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
