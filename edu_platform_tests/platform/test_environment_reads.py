"""One place reads the environment: every module under edu_platform/ asks the configuration layer
(`edu_platform.lib.config` reads and parses, `edu_platform.lib.environment` exports for child processes), so a
variable is declared, typed and checked at load once. Parsed with `ast`, so a comment or a docstring naming
`os.environ` does not count and an aliased import (`from os import environ`, `import os as o`) does."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`

PACKAGE = Path(__file__).resolve().parents[2] / "edu_platform"
LAYER = {"lib/config.py", "lib/environment.py"}
# reads the lead is routing through the layer in a change of its own; remove the entry with that change
PENDING: set[str] = set()
ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """`file:line` of every use of the process environment in one module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    os_names, direct = {"os"}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            direct |= {a.asname or a.name for a in node.names if a.name in ENVIRONMENT_NAMES}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_NAMES
                and isinstance(node.value, ast.Name) and node.value.id in os_names):
            found.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id in direct:
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(a.name in ENVIRONMENT_NAMES for a in node.names):
            found.append(node.lineno)
    relative = path.relative_to(root)
    return [f"{relative}:{line}" for line in sorted(set(found))]


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path


def test_no_module_outside_the_configuration_layer_reads_the_environment():
    outside = [hit for name, path in _modules() if name not in LAYER | PENDING for hit in environment_reads(path)]
    assert not outside, (
        "read the environment through edu_platform.lib.config (setting(NAME), declared with its type) or export "
        "through edu_platform.lib.environment: " + ", ".join(outside))


def test_the_layer_and_the_pending_list_are_real():
    """The layer does read the environment (the test sees reads at all), and a pending module still does (once
    routed, it leaves PENDING)."""
    modules = dict(_modules())
    assert environment_reads(modules["lib/config.py"])
    routed = [name for name in PENDING if not environment_reads(modules[name])]
    assert not routed, f"{routed} no longer read the environment: remove them from PENDING"


def test_the_finder_sees_every_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""os.environ in a docstring is not a read."""\n'
        "import os\nimport os as o\nfrom os import environ, getenv as ge\n"
        "a = os.environ.get('A')\nb = o.getenv('B')\nc = environ['C']\nd = ge('D')\n"
        "# os.environ in a comment\ne = os.path.join('x')\n"
    )
    assert environment_reads(sample, tmp_path) == [f"sample.py:{line}" for line in (4, 5, 6, 7, 8)]
