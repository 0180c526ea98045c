"""A plain (non-editable) wheel install runs: the shipped scorecards, the JSON schema and the demo
generators are package data, and nothing reads the checkout (SPEC §1).

The wheel is built from a copy of the package, so the checkout gets no `build/` or `*.egg-info`;
it goes into a fresh venv outside the checkout with `--no-deps`, and a `.pth` file lets that venv
see this environment's dependencies: no index is asked for anything and no dependency is copied.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300


def _setuptools_builds_here() -> bool:
    """Whether this environment can build the wheel itself (no build isolation, so no index)."""
    try:
        major = int(version("setuptools").split(".")[0])
        version("wheel")
    except (PackageNotFoundError, ValueError):
        return False
    return major >= 77


def _build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "tierline", source / "tierline",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".numba_cache"))
    isolation = ["--no-build-isolation"] if _setuptools_builds_here() else []
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", *isolation, "-w", str(tmp / "dist"),
                    str(source)], check=True, capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("tierline-*.whl")
    return wheel


def _venv_with(wheel: Path, tmp: Path) -> Path:
    """A venv outside the checkout holding only the wheel; it sees this environment's packages."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=TIMEOUT)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True, timeout=TIMEOUT).stdout.strip()
    # A plain path line: appended to sys.path after the venv's own site-packages (so the wheel's
    # tierline wins over an editable one here), without running this environment's own .pth files.
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    Path(site, "_tierline_test_deps.pth").write_text("".join(f"{path}\n" for path in ours), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--quiet", str(wheel)], check=True, capture_output=True, text=True, timeout=TIMEOUT)
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(NUMBA_CACHE_DIR=str(cwd / ".numba_cache"), NO_COLOR="1", PYTHONIOENCODING="utf-8")
    result = subprocess.run([str(venv / "bin" / "tierline"), *args], capture_output=True, text=True, env=env,
                            cwd=cwd, timeout=TIMEOUT)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    return wheel, _venv_with(wheel, tmp)


def test_the_wheel_holds_the_package_data(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())

    assert {p.name for p in (ROOT / "tierline" / "scorecards").glob("*.yaml")} == {
        Path(n).name for n in names if n.startswith("tierline/scorecards/") and n.endswith(".yaml")}
    assert "tierline/scorecard/scorecard.schema.json" in names
    assert "tierline/tools/generators/__init__.py" in names
    assert {f"tierline/tools/generators/{p.name}" for p in (ROOT / "tierline" / "tools" / "generators").glob("*.py")} <= names


def test_the_installed_command_runs_outside_the_checkout(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = installed
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import tierline; print(tierline.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=TIMEOUT,
                           env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    package = Path(where.stdout.strip()).parent
    assert package.is_relative_to(venv), where  # the wheel's copy, not the checkout

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert _run(venv, tmp_path, "--version").stdout.strip() == f"tierline {declared}"
    shipped = package / "scorecards" / "equipment_abc.yaml"
    assert "ok" in _run(venv, tmp_path, "check", str(shipped)).stdout
    demo = _run(venv, tmp_path, "demo", "--rows", "2000", "--dir", str(tmp_path / "demo"))
    assert "manifest:" in demo.stdout
    assert list((tmp_path / "demo" / "out" / "_manifests").glob("period=demo.json"))
