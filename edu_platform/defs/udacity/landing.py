"""Landed folders: what the landing root holds, and the nanodegree partitions it implies (`make run`'s default
synthetic landing is a developer tool: `edu_platform/synthetic/landing/udacity.py`).

Every folder under the landing root is either part of a valid partition or reported by name
(`scan_landing`): `<nanodegree>/<YYYY>/<MM>/` with a lower-case identifier, a four-digit year, a month
01-12 inside the partition range, holding the fact files; `dimensional_tables/` with the dimension files.
A nanodegree is registered as a dynamic partition only when it holds at least one valid month; one
registered earlier that holds none any more and never loaded anything is removed again (reported once).
Folder names become partition keys, paths and SQL literals, so anything but a lower-case identifier is refused.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

import fsspec

from edu_platform.defs.udacity.settings import DIMENSION, DIMENSION_FOLDER, month_folder, source_url, start_month, validate_nanodegree
from edu_platform.defs.udacity.tables import DIM_FILES, FACT_FILES
from edu_platform.lib import partitions

log = logging.getLogger(__name__)


def last_complete_month(now: datetime | None = None) -> str:
    """The newest month (YYYY-MM) that has ended: the newest monthly partition."""
    return partitions.last_complete_month(now)


# ------------------------------------------------------------------------------- the landing root


@dataclass
class Landing:
    """What a landing root holds: valid months per nanodegree (YYYY-MM -> fact files present), names
    refused as nanodegrees, and one line per folder or file that is not part of a valid partition."""

    root: str
    months: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def nanodegrees(self) -> list[str]:
        return sorted(nd for nd, months in self.months.items() if months)


def _fs(root: str):
    fs, path = fsspec.core.url_to_fs(root)
    return fs, path.rstrip("/")


def scan_landing(root: str | None = None, now: datetime | None = None) -> Landing:
    """Walk the landing root once; every entry is part of a valid partition or named in `problems`."""
    root = (root or source_url()).rstrip("/")
    out = Landing(root)
    fs, base = _fs(root)
    if not fs.exists(base):
        out.problems.append(f"{root}: the landing root does not exist")
        return out
    first, last = start_month()[:7], last_complete_month(now)
    entries = fs.find(base, withdirs=True, detail=True)
    candidates: dict[str, dict[str, set[str]]] = {}
    outside: dict[str, list[str]] = {}
    for path, info in sorted(entries.items()):
        rel = path[len(base):].strip("/")
        if not rel:
            continue
        parts, is_dir = rel.split("/"), info.get("type") == "directory"
        where = f"{root}/{rel}"
        if parts[0] == DIMENSION_FOLDER:
            if len(parts) == 2 and not is_dir and parts[1][:-4] in DIM_FILES and parts[1].endswith(".csv"):
                continue
            if len(parts) > 1:
                out.problems.append(f"{where}: not a dimension file ({', '.join(f'{s}.csv' for s in DIM_FILES)})")
            continue
        if len(parts) == 1 and not is_dir:
            out.problems.append(f"{where}: a file where nanodegree folders (<nanodegree>/<YYYY>/<MM>/) belong")
            continue
        try:
            validate_nanodegree(parts[0])
        except ValueError:
            if len(parts) == 1:
                out.refused.append(parts[0])
                out.problems.append(f"{where}: refused as a nanodegree folder: expected a lower-case identifier")
            continue
        if len(parts) == 1:
            candidates.setdefault(parts[0], {})
            continue
        year = parts[1]
        if not (len(year) == 4 and year.isdigit()):
            if len(parts) == 2:
                out.problems.append(f"{where}: not a year folder (four digits)")
            continue
        if len(parts) == 2:
            if not is_dir:
                out.problems.append(f"{where}: a file where a year folder belongs")
            continue
        mon = parts[2]
        if not (len(mon) == 2 and mon.isdigit() and 1 <= int(mon) <= 12):
            if len(parts) == 3:
                out.problems.append(f"{where}: not a month folder (01-12)")
            continue
        month = f"{year}-{mon}"
        if len(parts) == 3:
            if not is_dir:
                out.problems.append(f"{where}: a file where a month folder belongs")
            elif month < first or month > last:
                outside.setdefault(parts[0], []).append(month)
            continue
        if len(parts) == 4 and not is_dir and parts[3].endswith(".csv") and parts[3][:-4] in FACT_FILES:
            if first <= month <= last:
                candidates.setdefault(parts[0], {}).setdefault(month, set()).add(parts[3][:-4])
            continue
        if len(parts) == 4:
            out.problems.append(f"{where}: not a month file ({', '.join(f'{s}.csv' for s in FACT_FILES)})")
    for nd, months in sorted(outside.items()):
        early, late = [m for m in months if m < first], [m for m in months if m > last]
        if early:
            out.problems.append(
                f"{root}/{nd}: {len(early)} month folders ({early[0]} to {early[-1]}) before the first partition month"
                f" {first}: not loaded (set UDACITY_START_MONTH to load them)"
            )
        if late:
            out.problems.append(f"{root}/{nd}/{late[0][:4]}/{late[0][5:]}: month {late[0]} has not ended; its partition opens when it does")
    for nd, months in sorted(candidates.items()):
        out.months[nd] = months
        if not months:
            out.problems.append(f"{root}/{nd}: no valid month folder ({first} to {last}) with course files; not a nanodegree partition")
    return out


def discover_nanodegrees(root: str | None = None) -> tuple[list[str], list[str]]:
    """(valid, refused) nanodegree folder names under the root; valid ones hold at least one valid month."""
    landing = scan_landing(root)
    return landing.nanodegrees, sorted(landing.refused)


def new_nanodegrees(instance, root: str | None = None) -> tuple[list[str], list[str]]:
    valid, refused = discover_nanodegrees(root)
    known = set(instance.get_dynamic_partitions(DIMENSION))
    return [n for n in valid if n not in known], refused


def stale_nanodegrees(instance, landing: Landing) -> list[str]:
    """Registered nanodegrees without a valid month folder any more that never loaded anything: a stray
    folder registered them (older versions registered any folder), nothing depends on them."""
    from edu_platform.defs.udacity.assets import udacity_facts_bronze

    valid = set(landing.nanodegrees)
    stale = [nd for nd in instance.get_dynamic_partitions(DIMENSION) if nd not in valid]
    if not stale:
        return []
    loaded = set()
    for key in udacity_facts_bronze.keys:
        for partition in instance.get_materialized_partitions(key):
            loaded.add(str(partition).split("|")[-1])
    return [nd for nd in stale if nd not in loaded]


def sync_partitions(instance, root: str | None = None, now: datetime | None = None) -> tuple[list[str], list[str], Landing]:
    """(added, removed, landing): register nanodegrees with a valid month; remove stale registrations."""
    landing = scan_landing(root, now)
    known = set(instance.get_dynamic_partitions(DIMENSION))
    added = [nd for nd in landing.nanodegrees if nd not in known]
    if added:
        instance.add_dynamic_partitions(DIMENSION, added)
    removed = stale_nanodegrees(instance, landing)
    for nd in removed:
        instance.delete_dynamic_partition(DIMENSION, nd)
    return added, removed, landing


def register_partitions(instance, log=None) -> list[str]:
    """Sync the `nanodegree` dynamic partitions with the landing root (for `edu-platform run`), reporting
    every folder that is not part of a valid partition and every stale registration removed."""
    added, removed, landing = sync_partitions(instance)
    say = log or (lambda text: print(text))
    for problem in landing.problems:
        say(f"landing: {problem}")
    for nd in removed:
        say(f"landing: removed nanodegree partition {nd}: {landing.root}/{nd} holds no valid month and nothing was loaded from it")
    return added


def landing_report(root: str | None = None) -> list[str]:
    """For `edu-platform partitions list`: landed months per nanodegree, then every problem."""
    landing = scan_landing(root)
    lines = []
    for nd in landing.nanodegrees:
        months = sorted(landing.months[nd])
        lines.append(f"{landing.root}/{nd}: {len(months)} month folders, {months[0]} to {months[-1]}")
    return lines + landing.problems


def landed_values(dimension: str) -> set[str]:
    """The values of `dimension` the landing root would register (empty for another dimension)."""
    return set(scan_landing().nanodegrees) if dimension == DIMENSION else set()


# ------------------------------------------------------------------------------- newest month


def month_files(root: str, nanodegree: str, month: str) -> set[str]:
    """The fact files (stems) present in one month folder."""
    fs, path = _fs(month_folder(root, nanodegree, month))
    if not fs.isdir(path):
        return set()
    return {name.rsplit("/", 1)[-1][:-4] for name in fs.ls(path, detail=False) if name.endswith(".csv")} & set(FACT_FILES)


def waiting_for(root: str, nanodegree: str, month: str) -> str | None:
    """Why a month folder is not complete yet (None when all four files are there)."""
    present = month_files(root, nanodegree, month)
    missing = [f"{s}.csv" for s in FACT_FILES if s not in present]
    if not missing:
        return None
    folder = month_folder(root, nanodegree, month)
    if not present:
        return f"nanodegree {nanodegree}, month {month[:7]}: nothing in {folder}/ yet"
    return f"nanodegree {nanodegree}, month {month[:7]}: {folder}/ has {len(present)} of {len(FACT_FILES)} files, waiting for {', '.join(missing)}"


def _split(key) -> tuple[str, str]:
    """(nanodegree, month YYYY-MM-01) of a month x nanodegree partition key (MultiPartitionKey or `month|nd`)."""
    by_dimension = getattr(key, "keys_by_dimension", None)
    if by_dimension:
        return by_dimension[DIMENSION], by_dimension["month"]
    month, nanodegree = str(key).split("|")
    return nanodegree, month


def not_landed_yet(partition_keys: list, now: datetime | None = None) -> dict[str, str]:
    """The partitions of the newest month whose folder is not complete yet -> why (naming the folder).

    Only the newest month (the last complete one): its files may still be arriving, so the catch-up skips
    it and says so. An older month with nothing landed is never returned: loading it fails, naming the folder."""
    newest = f"{last_complete_month(now)}-01"
    root = source_url()
    out = {}
    for key in partition_keys:
        try:
            nanodegree, month = _split(key)
        except ValueError:
            continue
        try:
            validate_nanodegree(nanodegree)
        except ValueError:
            continue  # the run refuses it by name
        if month != newest:
            continue
        reason = waiting_for(root, nanodegree, month)
        if reason:
            out[str(key)] = reason
    return out
