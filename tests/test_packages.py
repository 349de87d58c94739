"""The top-level packages are this repository's, not another installed distribution's."""

import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["ontology", "graph", "queries", "server"])
def test_package_imports_from_this_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert Path(module.__file__).resolve().parent == ROOT / name


def test_the_wheel_carries_every_file_the_packages_hold(tmp_path: Path) -> None:
    """An installed copy reads its queries, templates and static files from the wheel: every
    file git tracks in a package must be in it (the browser's queries and the static files
    were not, and an installed server answered 500 and 404)."""
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "ontology", "graph", "queries", "server"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked
    assert [name for name in tracked if name not in names] == []
