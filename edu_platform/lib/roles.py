"""Least privilege in the warehouse: the loader writes bronze, the transformer reads bronze and writes
silver and gold, the BI reader reads gold and nothing else. Passwords come from the environment.

Set-up runs at every start, often several at once (the CLI, the webserver, the daemon, test workers): it
holds a transaction-scoped advisory lock and retries when another server session changed the same shared
catalog row ("tuple concurrently updated"). A password is never sent as SQL text: the client computes its
SCRAM-SHA-256 verifier (`psycopg2.extensions.encrypt_password`) and only the verifier reaches the server, so
no server log (a failing statement, `log_statement = all`) can hold the password.
"""

import random
import time

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import encrypt_password

from edu_platform.lib.config import setting
from edu_platform.lib.warehouse import Warehouse, safe_identifier

LOADER = setting("EDU_LOADER_ROLE")
TRANSFORMER = setting("EDU_TRANSFORMER_ROLE")
BI_READER = setting("EDU_BI_READER_ROLE")
PASSWORD_VARIABLES = {
    LOADER: "EDU_LOADER_PASSWORD",
    TRANSFORMER: "EDU_TRANSFORMER_PASSWORD",
    BI_READER: "EDU_BI_READER_PASSWORD",
}
LAYER_SCHEMAS = ("bronze", "silver", "gold", "ops")
LOCK_KEY = 0x6564_7572  # pg_advisory_xact_lock key of the set-up ("edur")
ATTEMPTS = 12
# Per-relation statistics and object definitions: readable by any login unless revoked from PUBLIC. The
# platform's own roles get them back; the BI reader (a member of PUBLIC only) does not.
STATISTICS_VIEWS = (
    "pg_stat_all_tables", "pg_stat_user_tables", "pg_stat_sys_tables", "pg_stat_xact_all_tables",
    "pg_stat_xact_user_tables", "pg_statio_all_tables", "pg_statio_user_tables", "pg_stat_all_indexes",
    "pg_stat_user_indexes", "pg_statio_all_indexes", "pg_statio_user_indexes", "pg_statio_all_sequences",
    "pg_statio_user_sequences", "pg_stat_user_functions", "pg_stat_xact_user_functions",
)
# catalog views whose definition column is withheld: every other column stays readable (tools list names)
DEFINITION_COLUMNS = {
    "pg_views": ("schemaname", "viewname", "viewowner"),
    "pg_matviews": ("schemaname", "matviewname", "matviewowner", "tablespace", "hasindexes", "ispopulated"),
    "pg_rules": ("schemaname", "tablename", "rulename"),
    "pg_indexes": ("schemaname", "tablename", "indexname", "tablespace"),
    "pg_rewrite": ("oid", "rulename", "ev_class", "ev_type", "ev_enabled", "is_instead"),
}
DEFINITION_FUNCTIONS = ("pg_get_viewdef", "pg_get_ruledef", "pg_get_indexdef", "pg_get_triggerdef",
                        "pg_get_functiondef", "pg_get_constraintdef", "pg_get_expr", "pg_get_statisticsobjdef")


class RoleSetupError(RuntimeError):
    """Role set-up could not complete; the message names the role or database."""


def _password_clause(cur, role: str) -> sql.Composable:
    password = setting(PASSWORD_VARIABLES[role])
    if not password:
        return sql.SQL("")
    verifier = encrypt_password(password, role, cur.connection, "scram-sha-256")
    return sql.SQL(" PASSWORD {}").format(sql.Literal(verifier))


def _ensure_role(cur, role: str) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    verb = "ALTER" if cur.fetchone() else "CREATE"
    statement = sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(sql.Identifier(role))
    cur.execute(statement + _password_clause(cur, role))


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, (psycopg2.errors.DuplicateObject, psycopg2.errors.UniqueViolation,
                            psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure)) or (
        isinstance(exc, psycopg2.InternalError) and "concurrently" in str(exc))


def _in_transaction(wh: Warehouse, work) -> None:
    """Run `work(cur)` in one transaction under the set-up lock; retry what a concurrent set-up collided with."""
    for attempt in range(ATTEMPTS):
        conn = wh.connect(autocommit=False)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                work(cur)
            conn.commit()
            return
        except psycopg2.Error as exc:
            conn.rollback()
            if not _retryable(exc) or attempt == ATTEMPTS - 1:
                raise RoleSetupError(f"role set-up in database {wh.database} failed: {exc.pgerror or exc}".strip()) from None
            time.sleep(random.uniform(0.05, 0.3) * (attempt + 1))
        finally:
            conn.close()


def ensure_roles(wh: Warehouse) -> dict[str, str]:
    """Create the three roles and their grants in `wh` (idempotent, safe under concurrent starts), and confine
    the BI reader. Returns role -> what it may do."""
    for role in (LOADER, TRANSFORMER, BI_READER):
        safe_identifier(role, "role name")
    _in_transaction(wh, _grant_layers)
    _in_transaction(wh, hand_over_layers)
    _in_transaction(wh, _confine_reader_in_warehouse)
    confine_reader_to_warehouse(wh)
    return {LOADER: "writes bronze", TRANSFORMER: "reads bronze, writes silver and gold", BI_READER: "reads gold"}


def _grant_layers(cur) -> None:
    db = cur.connection.info.dbname
    for role in (LOADER, TRANSFORMER, BI_READER):
        _ensure_role(cur, role)
    q = lambda text, *names: cur.execute(sql.SQL(text).format(*[sql.Identifier(n) for n in names]))  # noqa: E731
    for schema in LAYER_SCHEMAS:
        q("CREATE SCHEMA IF NOT EXISTS {}", schema)
    q("GRANT CONNECT ON DATABASE {} TO {}, {}, {}", db, LOADER, TRANSFORMER, BI_READER)
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


def _is_superuser(cur) -> bool:
    cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(cur.fetchone()[0])


def _confine_reader_in_warehouse(cur) -> None:
    """No temporary objects for the BI reader; no statistics or definitions of objects it cannot read.

    TEMP and CONNECT are granted to PUBLIC by default and PostgreSQL has no per-role deny, so they are revoked
    from PUBLIC and granted back to the platform's other roles. Catalog objects need a superuser to change;
    without one this part is skipped (the README lists what any login still sees)."""
    db = cur.connection.info.dbname
    platform = sql.SQL(", ").join(sql.Identifier(r) for r in (LOADER, TRANSFORMER))
    cur.execute(sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(db)))
    cur.execute(sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM {}").format(sql.Identifier(db), sql.Identifier(BI_READER)))
    cur.execute(sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(sql.Identifier(db), platform))
    cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    if not _is_superuser(cur):
        return
    for view in STATISTICS_VIEWS:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"pg_catalog.{view}",))
        if cur.fetchone()[0]:
            rel = sql.Identifier("pg_catalog", view)
            cur.execute(sql.SQL("REVOKE SELECT ON {} FROM PUBLIC").format(rel))
            cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(rel, platform))
    for view, columns in DEFINITION_COLUMNS.items():
        rel = sql.Identifier("pg_catalog", view)
        cur.execute(sql.SQL("REVOKE SELECT ON {} FROM PUBLIC").format(rel))
        cur.execute(sql.SQL("GRANT SELECT ({}) ON {} TO PUBLIC").format(sql.SQL(", ").join(map(sql.Identifier, columns)), rel))
        cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(rel, platform))
    # per-relation statistics functions (what the statistics views read) and the definition deparsers
    cur.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace"
        " AND ((p.proname LIKE 'pg\\_stat\\_get\\_%%' AND p.proargtypes::oid[] = ARRAY['oid'::regtype::oid])"
        " OR p.proname = ANY(%s))",
        (list(DEFINITION_FUNCTIONS),),
    )
    for (signature,) in cur.fetchall():
        cur.execute(sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(sql.SQL(signature)))
        cur.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(sql.SQL(signature), platform))


def confine_reader_to_warehouse(wh: Warehouse) -> list[str]:
    """The BI reader connects to the warehouse database only: every other database of the server that this
    user may change (the Dagster storage, a Dost source on the same server, `postgres`) loses PUBLIC's CONNECT,
    which the other existing login roles get back by name (another warehouse granting the reader CONNECT by name
is left open). Returns the databases closed to the reader."""
    closed = []
    admin = wh.with_database("postgres")
    with admin.cursor() as cur:
        # another warehouse of this platform on the server grants the reader CONNECT by name: left as it is
        cur.execute(
            "SELECT d.datname FROM pg_database d WHERE d.datallowconn AND NOT d.datistemplate AND d.datname <> %s"
            " AND (pg_has_role(d.datdba, 'USAGE') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))"
            " AND NOT EXISTS (SELECT 1 FROM aclexplode(d.datacl) a JOIN pg_roles r ON r.oid = a.grantee"
            "                 WHERE r.rolname = %s AND a.privilege_type = 'CONNECT')"
            " ORDER BY 1",
            (wh.database, BI_READER),
        )
        databases = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper AND rolname <> %s AND rolname NOT LIKE 'pg\\_%%'",
            (BI_READER,),
        )
        others = [r[0] for r in cur.fetchall()]
    for database in databases:
        def close(cur, database=database):
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cur.fetchone() is None:
                return  # dropped meanwhile
            name = sql.Identifier(database)
            cur.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(name))
            for role in others:
                cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(name, sql.Identifier(role)))
        try:
            _in_transaction(admin, close)
            closed.append(database)
        except RoleSetupError as exc:
            if "does not exist" not in str(exc):
                raise
    return closed


def login_as(wh: Warehouse, role: str) -> Warehouse:
    """The same database, logged in as `role` (password from its environment variable)."""
    url = wh.url.set(username=role, password=setting(PASSWORD_VARIABLES[role]) if role in PASSWORD_VARIABLES else None)
    return Warehouse(url)


# which role owns each schema's tables at run time (dlt's merge stages in bronze_staging)
LAYER_OWNERS = {"bronze": LOADER, "bronze_staging": LOADER, "silver": TRANSFORMER, "gold": TRANSFORMER, "ops": TRANSFORMER}


def hand_over_layers(cur) -> None:
    """Run-time steps log in as their role (edu_platform.lib.warehouse.warehouse_as), so each role owns what it
    rebuilds: dlt's staging schema is the loader's, the transformer also keeps `ops` (alert log), and tables an
    earlier version created as the admin change owner (dbt and dlt replace and alter what they own only)."""
    cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS bronze_staging AUTHORIZATION {}").format(sql.Identifier(LOADER)))
    cur.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA ops TO {}").format(sql.Identifier(TRANSFORMER)))
    cur.execute(sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA ops TO {}").format(sql.Identifier(TRANSFORMER)))
    cur.execute(sql.SQL("GRANT ALL ON ALL SEQUENCES IN SCHEMA ops TO {}").format(sql.Identifier(TRANSFORMER)))
    cur.execute(
        "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> "
        " CASE n.nspname WHEN 'bronze' THEN %s WHEN 'bronze_staging' THEN %s ELSE %s END"
        " AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))",
        (list(LAYER_OWNERS), LOADER, LOADER, TRANSFORMER),
    )
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for schema, name, kind in cur.fetchall():
        cur.execute(sql.SQL("ALTER " + kinds[kind] + " {}.{} OWNER TO {}").format(
            sql.Identifier(schema), sql.Identifier(name), sql.Identifier(LAYER_OWNERS[schema])))
