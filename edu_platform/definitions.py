"""The code location: Dagster's own loader (`load_defs`) reads every folder under `defs/` (each source folder's
`definitions.py`, and the cross-cutting ones), merged with the shared resources. Adding a source is adding a
folder under `defs/` (see `edu_platform/sources.py`)."""

import gc

# Loading the definitions makes some 350,000 objects that live as long as the process (Dagster's, dbt's manifest,
# dlt's). The cyclic collector would walk them over and over while they are made (a quarter of the load's time)
# and again in every full collection of a run: it is paused for the load, and what the load made is frozen (kept
# out of the collector's view) before it resumes. Every process that loads them gains: the CLI, the code server,
# each run worker.
gc.disable()
try:
    import warnings

    from dagster import Definitions, in_process_executor, with_source_code_references
    from dagster.components import load_defs

    from edu_platform.lib.config import check_environment, config_resources

    check_environment()  # a bad variable fails the code location's load, naming each bad one, before anything reads one

    import edu_platform.defs as defs_package
    from edu_platform.lib.dbt import dbt_resource
    from edu_platform.lib.dlt_resource import WarehouseDltResource
    from edu_platform.lib.settings import project_home

    def _with_code_references(merged: Definitions) -> Definitions:
        """Each asset links to the Python that defines it (dagster-dbt adds the model's `.sql` to dbt assets)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # code references are a beta API
            assets = with_source_code_references(list(merged.assets or []))
        return Definitions(
            assets=assets, asset_checks=merged.asset_checks, jobs=merged.jobs, schedules=merged.schedules,
            sensors=merged.sensors, resources=merged.resources, executor=merged.executor, loggers=merged.loggers,
        )

    defs = _with_code_references(
        Definitions.merge(
            # In-process execution: a step subprocess would pay the imports and the dbt manifest load again per step.
            Definitions(
                resources={"dlt": WarehouseDltResource(), "dbt": dbt_resource(), **config_resources()},
                executor=in_process_executor,
            ),
            load_defs(defs_root=defs_package, project_root=project_home()),
        )
    )
finally:
    gc.freeze()
    gc.enable()
