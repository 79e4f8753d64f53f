"""Least privilege in the warehouse: the loader writes bronze, the transformer reads bronze and writes
silver and gold, the BI reader reads gold and nothing else. Passwords come from the environment."""

import os

import psycopg2
from psycopg2 import sql

from edu_platform.lib.warehouse import Warehouse, safe_identifier

LOADER = os.environ.get("EDU_LOADER_ROLE", "edu_loader")
TRANSFORMER = os.environ.get("EDU_TRANSFORMER_ROLE", "edu_transformer")
BI_READER = os.environ.get("EDU_BI_READER_ROLE", "bi_reader")
PASSWORD_VARIABLES = {
    LOADER: "EDU_LOADER_PASSWORD",
    TRANSFORMER: "EDU_TRANSFORMER_PASSWORD",
    BI_READER: "EDU_BI_READER_PASSWORD",
}
LAYER_SCHEMAS = ("bronze", "silver", "gold", "ops")


def _ensure_role(cur, role: str) -> None:
    password = os.environ.get(PASSWORD_VARIABLES[role])
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    exists = cur.fetchone() is not None
    verb = "ALTER" if exists else "CREATE"
    statement = sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(sql.Identifier(role))
    if password:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    try:
        cur.execute(statement)
    except (psycopg2.errors.DuplicateObject, psycopg2.errors.UniqueViolation):
        pass  # created concurrently by another session


def ensure_roles(wh: Warehouse) -> dict[str, str]:
    """Create the three roles and their grants in `wh` (idempotent). Returns role -> what it may do."""
    for role in (LOADER, TRANSFORMER, BI_READER):
        safe_identifier(role, "role name")
    with wh.cursor() as cur:
        for role in (LOADER, TRANSFORMER, BI_READER):
            _ensure_role(cur, role)
        q = lambda text, *names: cur.execute(sql.SQL(text).format(*[sql.Identifier(n) for n in names]))  # noqa: E731
        for schema in LAYER_SCHEMAS:
            q("CREATE SCHEMA IF NOT EXISTS {}", schema)
        q("GRANT CONNECT ON DATABASE {} TO {}, {}, {}", wh.database, LOADER, TRANSFORMER, BI_READER)
        q("REVOKE ALL ON SCHEMA public FROM {}", BI_READER)
        # bronze: the loader writes, the transformer reads
        q("GRANT USAGE, CREATE ON SCHEMA {} TO {}", "bronze", LOADER)
        q("GRANT ALL ON ALL TABLES IN SCHEMA {} TO {}", "bronze", LOADER)
        q("GRANT USAGE ON SCHEMA {} TO {}", "bronze", TRANSFORMER)
        q("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}", "bronze", TRANSFORMER)
        for owner in ("CURRENT_USER", LOADER):
            target = sql.SQL("CURRENT_USER") if owner == "CURRENT_USER" else sql.Identifier(owner)
            cur.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA bronze GRANT SELECT ON TABLES TO {}").format(target, sql.Identifier(TRANSFORMER)))
        cur.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA bronze GRANT ALL ON TABLES TO {}").format(sql.Identifier(LOADER)))
        # silver and gold: the transformer writes; gold alone is readable by BI
        for schema in ("silver", "gold"):
            q("GRANT USAGE, CREATE ON SCHEMA {} TO {}", schema, TRANSFORMER)
            q("GRANT ALL ON ALL TABLES IN SCHEMA {} TO {}", schema, TRANSFORMER)
            cur.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT ALL ON TABLES TO {}").format(sql.Identifier(schema), sql.Identifier(TRANSFORMER)))
        q("GRANT USAGE ON SCHEMA {} TO {}", "gold", BI_READER)
        q("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}", "gold", BI_READER)
        for owner in ("CURRENT_USER", TRANSFORMER):
            target = sql.SQL("CURRENT_USER") if owner == "CURRENT_USER" else sql.Identifier(owner)
            cur.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA gold GRANT SELECT ON TABLES TO {}").format(target, sql.Identifier(BI_READER)))
        # nothing else for the BI reader: no bronze, silver or ops
        for schema in ("bronze", "silver", "ops"):
            q("REVOKE ALL ON SCHEMA {} FROM {}", schema, BI_READER)
            q("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}", schema, BI_READER)
    return {LOADER: "writes bronze", TRANSFORMER: "reads bronze, writes silver and gold", BI_READER: "reads gold"}


def login_as(wh: Warehouse, role: str) -> Warehouse:
    """The same database, logged in as `role` (password from its environment variable)."""
    url = wh.url.set(username=role, password=os.environ.get(PASSWORD_VARIABLES.get(role, ""), None) or None)
    return Warehouse(url)
