"""Landed CSV files into bronze through COPY: validate the header, then hand the file itself to dlt.

dlt imports the file into its load package untouched (`with_file_import`) and its PostgreSQL loader
streams it with COPY, so a file of any size loads in constant memory at the speed of COPY. Bronze
keeps the published text; typing happens in silver.
"""

import codecs
import csv
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from typing import Iterator, Sequence

import dlt
from dlt.sources.filesystem import FileItemDict

from edu_platform.lib.settings import state_dir

BOM = codecs.BOM_UTF8
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


QUOTE_CHARS = 40  # at most this much of a landed line is quoted in an error (event logs keep error messages)
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


class LandedFileError(ValueError):
    """A landed file that cannot be loaded as published; the message names the file and what is wrong."""


def quoted_prefix(text, limit: int = QUOTE_CHARS) -> str:
    """A short, printable prefix of landed content for an error message: whatever a bad line holds (a secret,
    personal data, control characters), the event log gets at most `limit` plain ASCII characters of it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = _UNPRINTABLE.sub("?", str(text))
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def _local_path(url: str) -> str | None:
    return url[len("file://"):] if url.startswith("file://") else (url if "://" not in url else None)


def check_inside_root(item: FileItemDict, root: str | None = None) -> None:
    """Refuse a landed file that resolves outside its source root (a symbolic link, or a `..` in its path): the
    platform reads only what was landed, never a file a link points at. `root` defaults to the folder listed."""
    url = item["file_url"]
    path = _local_path(url)
    relative = item.get("relative_path") or ""
    if ".." in relative.replace("\\", "/").split("/"):
        raise LandedFileError(f"{url}: refused: its path leaves the source root")
    if path is None:
        return  # object stores have no links
    named = f"{root.rstrip('/')}/{relative}" if root and relative else url
    if relative and not path.endswith(relative):  # the listing already followed a link to somewhere else
        raise LandedFileError(f"{named}: refused: a symbolic link resolving outside the source root")
    base = _local_path(root) if root else path[: len(path) - len(relative)] if relative else os.path.dirname(path)
    real, real_root = os.path.realpath(path), os.path.realpath(base or ".")
    if os.path.commonpath([real, real_root]) != real_root:
        raise LandedFileError(f"{named}: refused: a symbolic link resolving outside the source root {base}")


@dataclass(frozen=True)
class Header:
    columns: tuple[str, ...]
    extra: tuple[str, ...]
    has_bom: bool


def read_header(file_url: str, first_bytes: bytes, expected: Sequence[str], relation: str | None = None) -> Header:
    """Check the header line: every expected column present (else a blocking error naming the file, the columns
    and the bronze table `relation` that declares them), extra ones plain identifiers (schema drift, carried)."""
    if not first_bytes.strip():
        raise LandedFileError(f"{file_url}: empty file (expected a header line with {', '.join(expected)})")
    has_bom = first_bytes.startswith(BOM)
    text = first_bytes[len(BOM) if has_bom else 0 :]
    line = text.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LandedFileError(f"{file_url}: line 1: header is not UTF-8 ({exc.reason})") from exc
    columns = tuple(c.strip() for c in next(csv.reader(io.StringIO(decoded))))
    missing = [c for c in expected if c not in columns]
    if missing:
        declared = f" declared for bronze table {relation}" if relation else ""
        raise LandedFileError(
            f"{file_url}: line 1: header {quoted_prefix(decoded)} lacks column(s) {missing}{declared};"
            f" expected {list(expected)}"
        )
    extra = tuple(c for c in columns if c not in expected)
    bad = [c for c in extra if not _COLUMN.match(c)]
    if bad or len(set(columns)) != len(columns):
        raise LandedFileError(f"{file_url}: line 1: header has invalid or repeated column names: {quoted_prefix(decoded)}")
    return Header(columns=columns, extra=extra, has_bom=has_bom)


def locate_bad_row(binary_file, width: int) -> str:
    """Where a CSV stops being well-formed: `line N: what` (only called after a fast reader failed, so the
    slow, exact pass costs nothing on good files). `binary_file` is positioned at the start."""
    text = io.TextIOWrapper(binary_file, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    start = 1
    try:
        for row in reader:
            if len(row) != width and row:
                return f"line {start}: expected {width} columns, found {len(row)}"
            start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        # the decoder reads ahead in chunks: find the line from the bytes themselves
        binary_file.seek(0)
        for number, raw in enumerate(binary_file, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return f"line {number}: not UTF-8 ({exc.reason})"
        return f"not UTF-8 ({exc.reason})"
    except csv.Error as exc:
        return f"line {start}: {exc} (a quoted value is not closed)" if "end of data" in str(exc) else f"line {start}: {exc}"
    return "malformed CSV"


def text_columns(columns: Sequence[str]) -> dict:
    return {c: {"data_type": "text", "nullable": True} for c in columns}


def staging_dir() -> str:
    path = state_dir() / "staging"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def local_copy(item: FileItemDict, skip_bom: bool) -> str:
    """A local file dlt can import: the file itself when local and clean, else a streamed copy."""
    if item["file_url"].startswith("file://") and not skip_bom:
        return item.local_file_path
    fd, path = tempfile.mkstemp(suffix=".csv", dir=staging_dir())
    with item.open(mode="rb", compression="disable") as src, os.fdopen(fd, "wb") as dst:
        if skip_bom:
            src.read(len(BOM))
        shutil.copyfileobj(src, dst, length=16 * 1024 * 1024)
    return path


def import_csv(item: FileItemDict, expected: Sequence[str], table_name: str, root: str | None = None) -> Iterator:
    """Yield `item` as a ready CSV load file for COPY, after checking it lies inside its root and its header."""
    check_inside_root(item, root)
    with item.open(mode="rb", compression="disable") as f:
        head = f.read(64 * 1024)
    header = read_header(item["file_url"], head, expected, relation=table_name)
    path = local_copy(item, skip_bom=header.has_bom)
    hints = dlt.mark.make_hints(table_name=table_name, columns=text_columns(header.columns))
    yield dlt.mark.with_file_import(path, "csv", hints=hints)
