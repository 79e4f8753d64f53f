"""Default data for `make run`: synthetic OULAD files in the landing folder when OULAD_SOURCE is unset."""

from edu_platform.defs.oulad.settings import SOURCE, configured
from edu_platform.defs.oulad.tables import FILES
from edu_platform.lib.config import setting
from edu_platform.lib.settings import landing_dir
from edu_platform.synthetic.oulad import generate


def ensure_landed() -> str | None:
    if configured():
        return None
    folder = landing_dir(SOURCE)
    if all((folder / f"{stem}.csv").exists() for stem in FILES):
        return None
    scale = setting("EDU_OULAD_SCALE")
    counts = generate(folder, scale=scale)
    return f"generated synthetic OULAD at scale {scale} in {folder} ({counts['studentVle']} studentVle rows)"
