"""The edges of `tierline run` that users hit (issue 9), each through the real command.

Every case is a defect first seen from the command line: it is reproduced here the way the user
ran it, and the test states what SPEC §3 promises instead (the exit code, one line naming what is
at fault, nothing published).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from registers import (
    EQUIPMENT_ABC,
    assert_one_line_failure,
    equipment_register,
    manifest,
    tierline,
    write_register,
)


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("edges") / "register"
    write_register(equipment_register(rows=600, invalid_share=0.0, cases=()), directory, files=2, row_group_size=200)
    return directory


# --- --output: a URL is refused before anything is read -------------------------------------------


@pytest.mark.parametrize("output", ["s3://bucket/out", "file:///tmp/tierline-out", "simplecache::s3://bucket/out",
                                    "gs://b/warehouse/loans", "file:/tmp/tierline-out", "s3:bucket/out"])
def test_url_output_is_refused_before_any_input_is_read(output: str, tmp_path: Path) -> None:
    # The input does not exist: exit 2 (not 3) shows the output was judged before the input was touched.
    result = tierline("run", EQUIPMENT_ABC, "--input", tmp_path / "no-such-register", "--output", output,
                      "--period", "2026-05", cwd=tmp_path)

    line = assert_one_line_failure(result, 2)
    assert output in line and "URL" in line
    assert list(tmp_path.iterdir()) == []  # no folder named `s3:` or `file:` in the working directory


# --- --period: only an absent one defaults to today ----------------------------------------------


@pytest.mark.parametrize("period", ["", "a/b", "..", "x" * 65, "2026 05"])
def test_bad_period_is_refused_and_nothing_is_written(period: str, register: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"

    result = tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--period", period)

    line = assert_one_line_failure(result, 2)
    assert "--period" in line
    assert not output.exists()


def test_absent_period_is_todays_utc_date(register: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    before = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")

    result = tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--quiet")

    after = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    assert result.returncode == 0, result.stderr
    (published,) = [p.name for p in output.iterdir() if p.name.startswith("period=")]
    assert published in (f"period={before}", f"period={after}")
    assert manifest(output, published.removeprefix("period="))["counts"]["input"] == 600


# --- --partition-rows: honoured below the row-group size ----------------------------------------


def _published_rows(output: Path, period: str) -> dict[str, pa.Table]:
    """Each part file's rows (run_id dropped), by its path under the period with the run id left out of
    its name (part files carry it), and the quarantine's."""
    run_id = manifest(output, period)["run_id"]
    found = {}
    for path in sorted((output / f"period={period}").rglob("*.parquet")) + sorted(
            (output / "_quarantine" / f"period={period}").glob("*.parquet")):
        table = pq.read_table(path, partitioning=None)
        found[str(path.relative_to(output)).replace(run_id, "<run>")] = table.drop_columns([c for c in ("run_id",) if c in table.column_names])
    return found


def test_partition_rows_below_the_row_group_size_is_honoured_and_deterministic(tmp_path: Path) -> None:
    table = equipment_register(rows=900, cases=())
    register = tmp_path / "register.parquet"
    pq.write_table(table, register, row_group_size=300)  # 3 row groups of 300 rows

    def run(output: Path, *extra: object) -> dict:
        result = tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--period", "2026-05",
                          "--quiet", *extra)
        assert result.returncode == 0, result.stderr
        return manifest(output, "2026-05")

    whole = run(tmp_path / "whole", "--partition-rows", 300)
    sliced = run(tmp_path / "sliced", "--partition-rows", 100)
    run(tmp_path / "again", "--partition-rows", 100)  # (with row groups of 300 it was 3 tasks either way)

    assert whole["partitions"] == 3  # one row group a partition
    assert sliced["partitions"] == 9  # each row group in 3 slices of 100 rows
    assert sliced["counts"] == whole["counts"]
    # the same rows whichever the partitions, and the same files on a rerun
    by_key = {name: pa.concat_tables(pq.read_table(p, partitioning=None).drop_columns(["run_id"])
                                     for p in sorted((tmp_path / name / "period=2026-05").rglob("*.parquet")))
              .sort_by("equipment_id") for name in ("whole", "sliced")}
    assert by_key["sliced"].equals(by_key["whole"])
    first, second = _published_rows(tmp_path / "sliced", "2026-05"), _published_rows(tmp_path / "again", "2026-05")
    assert list(first) == list(second) and all(first[name].equals(second[name]) for name in first)


# --- output without a terminal is never wrapped ----------------------------------------------------


def test_summary_without_a_terminal_is_never_wrapped(register: Path, tmp_path: Path) -> None:
    """rich assumes 80 columns without a terminal; a log must keep every line, however long, whole."""
    output = tmp_path / ("a-warehouse-folder-with-a-long-name-" * 4) / "loans" / "out"
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}

    result = subprocess.run([sys.executable, "-m", "tierline", "run", str(EQUIPMENT_ABC), "--input", str(register),
                             "--output", str(output), "--period", "2026-05"],
                            capture_output=True, text=True, env=environment, timeout=300,
                            cwd=Path(__file__).resolve().parents[2])

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"output: {output / 'period=2026-05'}" in lines
    assert len(str(output)) > 200
    tier_rows = manifest(output, "2026-05")["counts"]["tiers"]
    for code, label in (("A", "A类设备"), ("B", "B类设备"), ("C", "C类设备")):
        assert any(code in line and label in line and f"{tier_rows[code]:,}" in line for line in lines), result.stdout
    assert any(line.startswith("input 600 rows · scored 600 · quarantined 0") for line in lines), result.stdout


# --- --input: every file under a directory is read, or the run fails -----------------------------


# Root reads a chmod 000 directory anyway. Without the two capabilities that let it (kept out of the
# bounding set, so the command never gains them) root is held to the owner's bits like anyone; or
# the command runs as `nobody`, which needs an interpreter `nobody` may run.
_WITHOUT_ROOT_READS = (["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"],
                       ["runuser", "-u", "nobody", "--"],
                       ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])


def _unprivileged(locked: Path) -> list[str] | None:
    """A command prefix under which `locked` (chmod 000) cannot be listed: [] when not root, None
    when nothing here can take root's reading rights away."""
    if os.geteuid() != 0:
        return []
    probe = ("import os, sys\ntry:\n    os.listdir(sys.argv[1])\nexcept PermissionError:\n    sys.exit(0)\n"
             "sys.exit(1)")
    for prefix in _WITHOUT_ROOT_READS:
        if shutil.which(prefix[0]) and subprocess.run(prefix + [sys.executable, "-c", probe, str(locked)],
                                                      capture_output=True, timeout=60).returncode == 0:
            return prefix
    return None


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory `nobody` can enter (pytest's own tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="tierline-edges-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        for path in base.rglob("*"):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base)


@pytest.mark.parametrize("unreadable", ["sub", "sub/b.parquet"])
def test_an_unreadable_directory_or_file_under_input_is_exit_3_naming_it(unreadable: str, shared_tmp: Path) -> None:
    locked = shared_tmp / "locked"
    locked.mkdir(mode=0o000)
    prefix = _unprivileged(locked)
    if prefix is None:
        pytest.skip("running as root, and neither setpriv nor runuser can stop root reading a chmod 000 directory")
    table = equipment_register(rows=400, invalid_share=0.0, cases=())
    register = shared_tmp / "register"
    (register / "sub").mkdir(parents=True)
    pq.write_table(table.slice(0, 200), register / "a.parquet")
    pq.write_table(table.slice(200), register / "sub" / "b.parquet")
    output = shared_tmp / "out"
    output.mkdir(mode=0o777)
    output.chmod(0o777)
    (register / unreadable).chmod(0o000)
    env = dict(os.environ, HOME=str(shared_tmp), NUMBA_CACHE_DIR=str(shared_tmp / "numba"))
    script = Path(sys.executable).parent / "tierline"

    result = subprocess.run(prefix + [str(script), "run", str(EQUIPMENT_ABC), "--input", str(register),
                                      "--output", str(output), "--period", "2026-05"],
                            capture_output=True, text=True, env=env, cwd=shared_tmp, timeout=300)

    line = assert_one_line_failure(result, 3)
    assert str(register / unreadable) in line
    assert list(output.iterdir()) == []


def _register_with_links(base: Path) -> tuple[Path, pa.Table]:
    """register/a.parquet, register/more -> ../elsewhere (b.parquet, c.parquet), register/c -> that c."""
    table = equipment_register(rows=600, invalid_share=0.0, cases=())
    register, elsewhere = base / "register", base / "elsewhere"
    register.mkdir()
    elsewhere.mkdir()
    pq.write_table(table.slice(0, 200), register / "a.parquet", row_group_size=100)
    pq.write_table(table.slice(200, 200), elsewhere / "b.parquet", row_group_size=100)
    pq.write_table(table.slice(400), elsewhere / "c.parquet", row_group_size=100)
    (register / "more").symlink_to(Path("..") / "elsewhere", target_is_directory=True)
    (register / "c.parquet").symlink_to(elsewhere / "c.parquet")  # the same file a second time
    return register, table


def test_symlinked_subdirectories_and_files_are_read_and_a_file_reached_twice_counts_once(tmp_path: Path) -> None:
    register, table = _register_with_links(tmp_path)
    output = tmp_path / "out"

    result = tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--period", "2026-05", "--quiet")

    assert result.returncode == 0, result.stderr
    facts = manifest(output, "2026-05")
    assert facts["counts"]["input"] == table.num_rows == 600
    assert [Path(f["path"]).relative_to(register).as_posix() for f in facts["inputs"]] == [
        "a.parquet", "c.parquet", "more/b.parquet"]
    assert sum(f["rows"] for f in facts["inputs"]) == 600


@pytest.mark.parametrize("loop", ["more/back", "more/deeper/up"])
def test_a_symlink_loop_under_input_is_exit_3_naming_the_link(loop: str, tmp_path: Path) -> None:
    register, _ = _register_with_links(tmp_path)
    link = register / loop
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(tmp_path / "elsewhere" if loop == "more/back" else register, target_is_directory=True)
    output = tmp_path / "out"

    line = assert_one_line_failure(
        tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--period", "2026-05"), 3)

    assert str(link) in line and "loop" in line
    assert not output.exists()


def test_a_broken_symlink_under_input_is_exit_3_naming_it(tmp_path: Path) -> None:
    register, _ = _register_with_links(tmp_path)
    (register / "gone.parquet").symlink_to(tmp_path / "deleted.parquet")

    line = assert_one_line_failure(
        tierline("run", EQUIPMENT_ABC, "--input", register, "--output", tmp_path / "out", "--period", "2026-05"), 3)

    assert str(register / "gone.parquet") in line


# --- unreachable inputs and schedulers, missing packages: 2 or 3 as SPEC §3 says, never 4 ---------


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _command(*args: object, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m tierline ARGS` like registers.tierline, with extra environment variables."""
    environment = dict(os.environ, COLUMNS="200", NO_COLOR="1", PYTHONIOENCODING="utf-8", **(env or {}))
    return subprocess.run([sys.executable, "-m", "tierline", *map(str, args)], capture_output=True, text=True,
                          env=environment, cwd=cwd or Path(__file__).resolve().parents[2], timeout=300)


def test_an_unreachable_scheduler_is_exit_2_naming_the_address(register: Path, tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    output = tmp_path / "out"

    line = assert_one_line_failure(
        tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--period", "2026-05",
                 "--scheduler", address), 2)

    assert address in line
    assert not output.exists()  # refused before anything was read or written


def test_a_scheduler_address_that_is_no_address_is_exit_2(register: Path, tmp_path: Path) -> None:
    line = assert_one_line_failure(
        tierline("run", EQUIPMENT_ABC, "--input", register, "--output", tmp_path / "out", "--scheduler",
                 "not-an-address"), 2)

    assert "not-an-address" in line


def test_an_unreachable_object_store_is_exit_3_naming_the_url(tmp_path: Path) -> None:
    pytest.importorskip("s3fs")
    # s3fs reads its options from FSSPEC_S3: an endpoint on a closed loopback port, no credentials
    # looked up, one attempt with a short connect timeout so the failure comes at once.
    store = {"endpoint_url": f"http://127.0.0.1:{_closed_port()}", "anon": True,
             "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 2}}
    url = "s3://registers/loans/2026-05/"

    result = _command("run", EQUIPMENT_ABC, "--input", url, "--output", tmp_path / "out", "--period", "2026-05",
                      env={"FSSPEC_S3": json.dumps(store), "AWS_EC2_METADATA_DISABLED": "true"})

    line = assert_one_line_failure(result, 3)
    assert url.rstrip("/") in line
    assert not (tmp_path / "out").exists()


# A file system package the client has and the workers do not: it registers the `tlfake://`
# protocol (a local folder under another name) through fsspec's entry points, and its import fails
# in any child process, as in a cluster whose workers were installed without the driver.
_DRIVER = '''\
import multiprocessing

if multiprocessing.parent_process() is not None:
    raise ImportError("No module named 'tl_fake_driver' (not installed on this worker)")

from fsspec.implementations.local import LocalFileSystem

PREFIX = "tlfake://"


class FakeFileSystem(LocalFileSystem):
    protocol = ("tlfake",)

    @classmethod
    def _strip_protocol(cls, path):
        path = str(path)
        return super()._strip_protocol(path[len(PREFIX):] if path.startswith(PREFIX) else path)

    def unstrip_protocol(self, name):
        return PREFIX + self._strip_protocol(name)
'''


def test_workers_without_the_file_system_package_are_exit_3(register: Path, tmp_path: Path) -> None:
    packages = tmp_path / "site"
    (packages / "tl_fake_driver-1.0.dist-info").mkdir(parents=True)
    (packages / "tl_fake_driver.py").write_text(_DRIVER)
    (packages / "tl_fake_driver-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tl-fake-driver\nVersion: 1.0\n")
    (packages / "tl_fake_driver-1.0.dist-info" / "entry_points.txt").write_text(
        "[fsspec.specs]\ntlfake = tl_fake_driver:FakeFileSystem\n")
    path = os.pathsep.join(filter(None, [str(packages), os.environ.get("PYTHONPATH")]))

    result = _command("run", EQUIPMENT_ABC, "--input", f"tlfake://{register}", "--output", tmp_path / "out",
                      "--period", "2026-05", "--workers", "1", env={"PYTHONPATH": path})

    line = assert_one_line_failure(result, 3)
    assert f"tlfake://{register}" in line and "missing" in line
    assert not (tmp_path / "out" / "period=2026-05").exists()


def test_a_local_cluster_whose_workers_cannot_start_is_one_line(register: Path, tmp_path: Path) -> None:
    # Every worker process preloads a module that does not exist, so none starts.
    result = _command("run", EQUIPMENT_ABC, "--input", register, "--output", tmp_path / "out", "--period", "2026-05",
                      "--workers", "1", env={"DASK_DISTRIBUTED__WORKER__PRELOAD": '["tierline_no_such_preload"]'})

    line = assert_one_line_failure(result, 3)
    assert "--workers 1" in line and "tierline_no_such_preload" in line
    assert not (tmp_path / "out" / "period=2026-05").exists()
