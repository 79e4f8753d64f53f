"""The one way to reach the warehouse: `Warehouse`, a PostgreSQL database as a URL value convertible to each
client's connection form, and `warehouse_as(kind)`, the run-time connection as a least-privilege role.

The server is EDU_WAREHOUSE_URL's, or the embedded one (`edu_platform.lib.embedded_server`) when it is unset.
Every integration (dlt, dbt, Dagster storage, checks, the CLI) asks this module for its connection, in the
form that integration wants, so a socket path or a password is handled in exactly one place.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import URL, make_url

from edu_platform.lib import embedded_server
from edu_platform.lib.config import setting

WAREHOUSE_DB = "edu_warehouse"
DAGSTER_DB = "edu_dagster"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def safe_identifier(name: str, what: str = "identifier") -> str:
    """Refuse anything but a plain lower-case SQL identifier before it reaches SQL or a path."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(f"invalid {what} {name!r}: expected lower-case letters, digits and '_' only")
    return name


@dataclass(frozen=True)
class Warehouse:
    """A PostgreSQL database, convertible to each client's connection format."""

    url: URL

    @classmethod
    def from_url(cls, url: str) -> "Warehouse":
        parsed = make_url(url)
        if not parsed.drivername.startswith("postgresql"):
            raise ValueError(f"EDU_WAREHOUSE_URL must be a postgresql:// URL, got {parsed.drivername}://")
        return cls(parsed.set(drivername="postgresql"))

    @property
    def database(self) -> str:
        return self.url.database or "postgres"

    @property
    def socket_dir(self) -> str | None:
        host = self.url.query.get("host")
        if isinstance(host, tuple):
            host = host[0]
        return host if host and host.startswith("/") else None

    def display_name(self) -> str:
        """`database` on `host:port` (or its socket directory), for messages: never the password."""
        kw = self.connect_kwargs()
        where = kw["host"] if self.socket_dir else f"{kw['host']}:{kw['port']}"
        return f"{kw['dbname']!r} on {where}"

    def with_database(self, database: str) -> "Warehouse":
        return Warehouse(self.url.set(database=database))

    def connect_kwargs(self) -> dict:
        """psycopg2 / libpq keyword arguments."""
        kwargs = {
            "host": self.socket_dir or self.url.host or "localhost",
            "port": self.url.port or 5432,
            "user": self.url.username or "postgres",
            "dbname": self.database,
        }
        if self.url.password:
            kwargs["password"] = self.url.password
        return kwargs

    def connect(self, autocommit: bool = True):
        conn = psycopg2.connect(**self.connect_kwargs())
        conn.autocommit = autocommit
        return conn

    @contextmanager
    def cursor(self):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                yield cur
        finally:
            conn.close()

    def sqlalchemy_url(self) -> str:
        """SQLAlchemy/dagster-postgres form (psycopg2 named explicitly: SQLAlchemy 2.1 defaults to psycopg 3)."""
        return self.url.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)

    def libpq_url(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def dlt_credentials(self) -> str:
        """dlt and connectorx need a host part and a non-empty password; a socket goes in percent-encoded."""
        kw = self.connect_kwargs()
        host = quote(kw["host"], safe="") if self.socket_dir else kw["host"]
        user = quote(kw["user"], safe="")
        password = quote(kw.get("password") or "local", safe="")
        return f"postgresql://{user}:{password}@{host}:{kw['port']}/{quote(kw['dbname'], safe='')}"

    def dbt_env(self) -> dict[str, str]:
        """Variables read by dbt/profiles.yml."""
        kw = self.connect_kwargs()
        return {
            "EDU_DBT_HOST": str(kw["host"]),
            "EDU_DBT_PORT": str(kw["port"]),
            "EDU_DBT_USER": str(kw["user"]),
            "EDU_DBT_PASSWORD": str(kw.get("password", "")),
            "EDU_DBT_DBNAME": str(kw["dbname"]),
        }

    def ensure_database(self) -> "Warehouse":
        """Create this database on its server if it is missing (the embedded server starts empty)."""
        admin = self.with_database("postgres")
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
            if cur.fetchone() is None:
                try:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
                except psycopg2.errors.DuplicateDatabase:
                    pass
        return self

    def drop_database(self) -> None:
        admin = self.with_database("postgres")
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.database)))

    def scalar(self, query: str, params=None):
        with self.cursor() as cur:
            cur.execute(query, params)
            row = cur.fetchone()
            return row[0] if row else None

    def rows(self, query: str, params=None) -> list[tuple]:
        with self.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()


def _embedded() -> Warehouse:
    return Warehouse.from_url(embedded_server.start())


def server() -> Warehouse:
    """The server the platform uses (its `postgres` maintenance database)."""
    if url := setting("EDU_WAREHOUSE_URL"):
        return Warehouse.from_url(url).with_database("postgres")
    return _embedded().with_database("postgres")


def get_warehouse() -> Warehouse:
    """The warehouse database, created on first use."""
    if url := setting("EDU_WAREHOUSE_URL"):
        wh = Warehouse.from_url(url)
        if wh.url.database is None:
            wh = wh.with_database(WAREHOUSE_DB)
        return wh.ensure_database()
    return _embedded().with_database(WAREHOUSE_DB).ensure_database()


def _located_warehouse() -> Warehouse:
    """The warehouse database as EDU_WAREHOUSE_URL names it (or the embedded one), without creating anything:
    its user and password are the admin's, which only `edu-platform setup` uses."""
    if url := setting("EDU_WAREHOUSE_URL"):
        wh = Warehouse.from_url(url)
        return wh if wh.url.database is not None else wh.with_database(WAREHOUSE_DB)
    return _embedded().with_database(WAREHOUSE_DB)


def runs_as_roles() -> bool:
    """EDU_RUN_AS_ROLES=1 (the default): run-time steps log in as their least-privilege role. 0: as the URL's
    user, for a test server where `edu-platform setup` never created the roles."""
    return setting("EDU_RUN_AS_ROLES")


def warehouse_as(kind: str) -> Warehouse:
    """The warehouse for a run-time step, logged in as the role of `kind`: `loader` (dlt and the bronze
    checks: bronze and its staging), `transformer` (dbt and the alert log: reads bronze, writes silver, gold, ops) or `bi_reader`
    (gold only). Never the admin, and never creates the database: that is `edu-platform setup`'s job."""
    if not runs_as_roles():
        return get_warehouse()
    from edu_platform.lib import roles

    names = {"loader": roles.LOADER, "transformer": roles.TRANSFORMER, "bi_reader": roles.BI_READER}
    if kind not in names:
        raise ValueError(f"unknown warehouse role kind {kind!r}: expected one of {', '.join(names)}")
    return roles.login_as(_located_warehouse(), names[kind])


def dagster_storage_url() -> str:
    """Dagster's runs/events/schedules database: EDU_DAGSTER_STORAGE_URL, else a database beside the warehouse."""
    if url := setting("EDU_DAGSTER_STORAGE_URL"):
        return url
    return server().with_database(DAGSTER_DB).ensure_database().sqlalchemy_url()
