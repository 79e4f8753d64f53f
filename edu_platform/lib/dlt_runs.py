"""Running a dlt source from a Dagster asset, with load errors turned into messages a user can act on."""

from typing import Iterator

from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource
from dlt.pipeline.exceptions import PipelineStepFailed

from edu_platform.lib.dlt_pipelines import EduDltTranslator, bronze_pipeline
from edu_platform.lib.landed_files import LandedFileError, copy_error_location


def run_bronze_load(
    context: AssetExecutionContext,
    dlt: DagsterDltResource,
    source_name: str,
    dlt_source,
    describe_table=None,
    **run_kwargs,
) -> Iterator:
    """Run `dlt_source` into bronze; a failure names the file/table and line instead of dlt's internals."""
    pipeline = bronze_pipeline(source_name)
    try:
        yield from dlt.run(
            context=context,
            dlt_source=dlt_source,
            dlt_pipeline=pipeline,
            dagster_dlt_translator=EduDltTranslator(source_name),
            **run_kwargs,
        )
    except PipelineStepFailed as exc:
        raise _user_error(exc, describe_table) from exc
    except Exception as exc:  # dlt raises job failures outside PipelineStepFailed too
        if "COPY" in str(exc):
            raise _user_error(exc, describe_table) from exc
        raise


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while True:
        nxt = exc.__cause__ or exc.__context__
        if isinstance(exc, LandedFileError) or nxt is None or id(nxt) in seen:
            return exc
        seen.add(id(exc))
        exc = nxt


def _user_error(exc: BaseException, describe_table) -> Exception:
    root = _root_cause(exc)
    if isinstance(root, LandedFileError):
        return LandedFileError(str(root))
    text = str(exc)
    where = copy_error_location(text)
    if where:
        import re

        table = re.search(r"COPY (\w+), line", text).group(1)
        origin = describe_table(table) if describe_table else f"bronze table {table}"
        detail = next((line.strip() for line in text.splitlines() if "ERROR" in line or "error" in line.lower()), "")
        return LandedFileError(f"{origin}: {where}: {_pg_message(text) or detail}")
    return RuntimeError(f"bronze load failed: {text.splitlines()[0] if text else type(exc).__name__}")


def _pg_message(text: str) -> str:
    import re

    match = re.search(r"(?:psycopg2\.errors\.\w+|DatabaseTerminalException|BadCopyFileFormat)[:\s]+([^\n]+)", text)
    if match:
        return match.group(1).strip()
    match = re.search(r"(extra data after last expected column|missing data for column \"\w+\"|unterminated CSV quoted field|invalid byte sequence[^\n]*)", text)
    return match.group(1) if match else ""
