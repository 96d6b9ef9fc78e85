"""The import contract (pyproject.toml [tool.importlinter]): api -> projections -> ledger, ledger.audit on its own.

The domain knows nothing of the read side or of HTTP, and the read side nothing of HTTP;
the composition root (api/bootstrap.py) is where they meet. import-linter checks every
import of the installed packages, so a forbidden one fails the suite, not a review.

No module imports itself through others either: a cycle makes the order of imports matter
and the modules in it one tangle. The check uses grimp, the graph import-linter is built on
(imports inside functions and under TYPE_CHECKING count: each is a dependency all the same).

Nor do two modules share a file name, nor two classes a name: ``figures.py`` in two packages,
or a ``Plan`` that is an import's rows in one module and a statement's sealing in another,
means a reader must check which job each does before changing either.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("ledger", "projections", "api")
#: Every package whose module names must differ (the benchmarks' included: they import the others).
NAMED = (*PACKAGES, "bench")
#: Names every package has by convention, never a job of their own.
SHARED_NAMES = {"__init__.py", "__main__.py"}

#: Prints every import cycle among the modules of the packages named, one per line: each direct
#: import ``a -> b`` for which ``b`` leads back to ``a``.
FIND_CYCLES = """
import sys, grimp
graph = grimp.build_graph(*sys.argv[1:], cache_dir=None)
for importer in sorted(graph.modules):
    for imported in sorted(graph.find_modules_directly_imported_by(importer)):
        back = graph.find_shortest_chain(importer=imported, imported=importer)
        if back is not None:
            print(" -> ".join((importer, *back)))
"""


def lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(pythonpath or cwd), "NO_COLOR": "1"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def cycles(cwd: Path) -> list[str]:
    env = {"PYTHONPATH": str(cwd), "PATH": str(LINT_IMPORTS.parent)}
    result = subprocess.run([sys.executable, "-c", FIND_CYCLES, *PACKAGES], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def shared_names(root: Path) -> dict[str, list[str]]:
    """Each module file name found more than once under the packages, with where it is."""
    where: dict[str, list[str]] = {}
    for package in NAMED:
        for module in sorted((root / package).rglob("*.py")):
            if module.name not in SHARED_NAMES and "__pycache__" not in module.parts:
                where.setdefault(module.name, []).append(module.relative_to(root).as_posix())
    return {name: paths for name, paths in where.items() if len(paths) > 1}


def shared_class_names(root: Path) -> dict[str, list[str]]:
    """Each class name defined at the top of more than one module under the packages, with where."""
    where: dict[str, list[str]] = {}
    for package in NAMED:
        for module in sorted((root / package).rglob("*.py")):
            if "__pycache__" in module.parts:
                continue
            for node in ast.parse(module.read_text("utf-8"), str(module)).body:
                if isinstance(node, ast.ClassDef):
                    where.setdefault(node.name, []).append(module.relative_to(root).as_posix())
    return {name: paths for name, paths in where.items() if len(paths) > 1}


def copy_packages(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_are_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "api -> projections -> ledger KEPT" in result.stdout
    assert "ledger.audit imports nothing of the project but itself KEPT" in result.stdout


def test_a_forbidden_import_breaks_the_contract(tmp_path):
    # The same packages, with the domain reaching up into the read side and the proofs into the domain.
    copy_packages(tmp_path)
    with (tmp_path / "ledger" / "tally.py").open("a") as f:
        f.write("\nfrom projections.db import Db  # noqa: E402\n")
    with (tmp_path / "ledger" / "audit" / "tree.py").open("a") as f:
        f.write("\nfrom ledger.errors import NotFound  # noqa: E402\n")
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "api -> projections -> ledger BROKEN" in result.stdout
    assert "ledger.tally -> projections.db" in result.stdout
    assert "ledger.audit.tree -> ledger.errors" in result.stdout


def test_no_module_imports_itself_through_others():
    assert cycles(ROOT) == []


def test_an_import_cycle_is_found(tmp_path):
    # The same packages with two cycles put back: sealing reading the view tables' schema
    # (which the views, built on the Db, declare), and a lazy import closing a loop in the domain.
    copy_packages(tmp_path)
    with (tmp_path / "projections" / "sealing.py").open("a") as f:
        f.write("\nfrom projections.views import Views  # noqa: E402\n")
    with (tmp_path / "ledger" / "value.py").open("a") as f:
        f.write("\n\ndef _late():\n    from ledger.report import Report  # noqa: F401\n")
    found = cycles(tmp_path)
    assert "projections.sealing -> projections.views -> projections.db -> projections.sealing" in found
    assert "ledger.value -> ledger.report -> ledger.value" in found
    assert all(line.startswith(("projections.", "ledger.")) for line in found)


def test_no_two_modules_share_a_name():
    assert shared_names(ROOT) == {}


def test_a_shared_name_is_found(tmp_path):
    for package in NAMED:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "bench" / "tally.py").write_text('"""A second tally.py, for another job."""\n')
    (tmp_path / "api" / "web" / "__main__.py").write_text("")
    assert shared_names(tmp_path) == {"tally.py": ["ledger/tally.py", "bench/tally.py"]}


def test_no_two_classes_share_a_name():
    assert shared_class_names(ROOT) == {}


def test_a_shared_class_name_is_found(tmp_path):
    for package in NAMED:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "api" / "imports" / "plan.py").open("a") as f:
        f.write("\n\nclass Report:\n    \"\"\"A second Report, for another job than the ledger's.\"\"\"\n")
    assert shared_class_names(tmp_path) == {"Report": ["ledger/report.py", "api/imports/plan.py"]}
