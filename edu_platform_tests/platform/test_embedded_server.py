"""The embedded server's tuning: written once into postgresql.auto.conf, not rewritten at every process start."""

import os

import pytest

from edu_platform.lib import embedded_server


@pytest.mark.skipif(not os.environ.get("EDU_TEST_ON_EMBEDDED_SERVER"), reason="the suite runs on an external server (EDU_WAREHOUSE_URL)")
def test_settings_are_written_once_and_not_reloaded_at_every_start(warehouse):
    with warehouse.cursor() as cur:
        cur.execute("select name, setting from pg_file_settings where sourcefile like '%postgresql.auto.conf'")
        assert embedded_server.EMBEDDED_SETTINGS.items() <= dict(cur.fetchall()).items()
        cur.execute("select pg_conf_load_time()")
        loaded = cur.fetchone()[0]
    embedded_server.tune(warehouse.libpq_url())  # what every process start does
    with warehouse.cursor() as cur:
        cur.execute("select pg_conf_load_time()")
        assert cur.fetchone()[0] == loaded
