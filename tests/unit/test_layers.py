"""The import contract (pyproject.toml [tool.importlinter]): api -> projections -> ledger, ledger.audit on its own.

The domain knows nothing of the read side or of HTTP, and the read side nothing of HTTP;
the composition root (api/bootstrap.py) is where they meet. import-linter checks every
import of the installed packages, so a forbidden one fails the suite, not a review.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(pythonpath or cwd), "NO_COLOR": "1"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_layers_are_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "api -> projections -> ledger KEPT" in result.stdout
    assert "ledger.audit imports nothing of the project but itself KEPT" in result.stdout


def test_a_forbidden_import_breaks_the_contract(tmp_path):
    # The same packages, with the domain reaching up into the read side and the proofs into the domain.
    for package in ("ledger", "projections", "api"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "ledger" / "tally.py").open("a") as f:
        f.write("\nfrom projections.db import Db  # noqa: E402\n")
    with (tmp_path / "ledger" / "audit" / "tree.py").open("a") as f:
        f.write("\nfrom ledger.errors import NotFound  # noqa: E402\n")
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "api -> projections -> ledger BROKEN" in result.stdout
    assert "ledger.tally -> projections.db" in result.stdout
    assert "ledger.audit.tree -> ledger.errors" in result.stdout
