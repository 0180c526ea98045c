"""Resolving `--input` arguments and reading Parquet footers (tierline.pipeline.inputs)."""

from __future__ import annotations

import os
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierline.pipeline.inputs import InputFile, open_parquet, read_partition, read_row_groups, resolve_inputs
from tierline.errors import InputError


def write_register(path: Path, rows: int = 3, row_group_size: int | None = None, **columns) -> Path:
    """A small register: `id` int64 and `name` string unless `columns` says otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        columns
        or {
            "id": pa.array(range(rows), pa.int64()),
            "name": pa.array([f"n{i}" for i in range(rows)], pa.string()),
        }
    )
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def paths_of(files: list[InputFile]) -> list[str]:
    return [f.path for f in files]


def test_single_file_footer(tmp_path: Path) -> None:
    path = write_register(tmp_path / "a.parquet", rows=10, row_group_size=4)

    (only,) = resolve_inputs([str(path)])

    assert only.path == str(path)
    assert os.path.isabs(only.path)
    assert only.num_rows == 10
    assert only.row_group_rows == (4, 4, 2)
    assert only.size == path.stat().st_size
    assert only.schema.names == ["id", "name"]


def test_relative_path_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_register(tmp_path / "a.parquet")
    monkeypatch.chdir(tmp_path)

    (only,) = resolve_inputs(["a.parquet"])

    assert only.path == str(tmp_path / "a.parquet")


def test_directory_is_recursive_sorted_and_skips_markers(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_register(root / "b.parquet")
    write_register(root / "a.parquet")
    write_register(root / "sub" / "c.parquet")
    write_register(root / "_staging" / "x.parquet")
    write_register(root / ".hidden" / "y.parquet")
    write_register(root / "_tmp.parquet")
    write_register(root / ".dot.parquet")
    (root / "_SUCCESS").write_text("")
    (root / "notes.txt").write_text("not parquet")

    files = resolve_inputs([str(root)])

    assert paths_of(files) == [
        str(root / "a.parquet"),
        str(root / "b.parquet"),
        str(root / "sub" / "c.parquet"),
    ]


def test_glob_is_sorted_and_skips_markers(tmp_path: Path) -> None:
    write_register(tmp_path / "p2.parquet")
    write_register(tmp_path / "p1.parquet")
    write_register(tmp_path / "q.parquet")
    (tmp_path / "_SUCCESS").write_text("")

    assert paths_of(resolve_inputs([str(tmp_path / "p*.parquet")])) == [
        str(tmp_path / "p1.parquet"),
        str(tmp_path / "p2.parquet"),
    ]
    assert paths_of(resolve_inputs([str(tmp_path / "*")])) == [
        str(tmp_path / "p1.parquet"),
        str(tmp_path / "p2.parquet"),
        str(tmp_path / "q.parquet"),
    ]


def test_recursive_glob(tmp_path: Path) -> None:
    write_register(tmp_path / "x" / "1.parquet")
    write_register(tmp_path / "y" / "z" / "2.parquet")

    files = resolve_inputs([str(tmp_path / "**" / "*.parquet")])

    assert paths_of(files) == [
        str(tmp_path / "x" / "1.parquet"),
        str(tmp_path / "y" / "z" / "2.parquet"),
    ]


def test_argument_order_kept_and_duplicates_dropped(tmp_path: Path) -> None:
    a = write_register(tmp_path / "d" / "a.parquet")
    b = write_register(tmp_path / "d" / "b.parquet")
    z = write_register(tmp_path / "z.parquet")

    again = str(tmp_path / "d" / ".." / "z.parquet")

    files = resolve_inputs([str(z), str(tmp_path / "d"), str(b), again])

    assert paths_of(files) == [str(z), str(a), str(b)]


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    with pytest.raises(InputError, match="nope.parquet: no such file or directory"):
        resolve_inputs([str(missing)])


def test_glob_matching_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\*\.parquet: glob matches no Parquet file"):
        resolve_inputs([str(tmp_path / "*.parquet")])


def test_directory_without_parquet(tmp_path: Path) -> None:
    (tmp_path / "_SUCCESS").write_text("")
    write_register(tmp_path / "_staging" / "x.parquet")
    with pytest.raises(InputError, match="directory matches no Parquet file"):
        resolve_inputs([str(tmp_path)])


def test_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_text("id,name\n1,a\n")

    with pytest.raises(InputError) as caught:
        resolve_inputs([str(path)])

    message = str(caught.value)
    assert message.startswith(f"{path}: not a readable Parquet file (")
    assert "\n" not in message


def test_truncated_parquet(tmp_path: Path) -> None:
    path = write_register(tmp_path / "t.parquet", rows=100)
    path.write_bytes(path.read_bytes()[:-20])

    with pytest.raises(InputError, match="t.parquet: not a readable Parquet file"):
        resolve_inputs([str(path)])


def test_differing_type_names_file_and_column(tmp_path: Path) -> None:
    a = write_register(tmp_path / "a.parquet")
    b = write_register(tmp_path / "b.parquet", id=pa.array(["1"]), name=pa.array(["x"]))

    with pytest.raises(InputError) as caught:
        resolve_inputs([str(a), str(b)])

    message = str(caught.value)
    assert message.startswith(f"{b}: schema differs from {a}")
    assert "'id'" in message and "string" in message and "int64" in message


def test_missing_and_extra_columns(tmp_path: Path) -> None:
    a = write_register(tmp_path / "a.parquet")
    short = write_register(tmp_path / "short.parquet", id=pa.array([1], pa.int64()))
    wide = write_register(
        tmp_path / "wide.parquet",
        id=pa.array([1], pa.int64()),
        name=pa.array(["x"]),
        extra=pa.array([1.5]),
    )

    with pytest.raises(InputError, match=r"short\.parquet: .*column 'name' \(string\) is missing"):
        resolve_inputs([str(a), str(short)])
    with pytest.raises(InputError, match=r"wide\.parquet: .*column 'extra' \(double\)"):
        resolve_inputs([str(a), str(wide)])


def test_field_order_and_metadata_ignored(tmp_path: Path) -> None:
    a = write_register(tmp_path / "a.parquet")
    reordered = pa.table({"name": pa.array(["x"]), "id": pa.array([1], pa.int64())})
    reordered = reordered.replace_schema_metadata({"writer": "other"})
    pq.write_table(reordered, tmp_path / "b.parquet")

    assert len(resolve_inputs([str(a), str(tmp_path / "b.parquet")])) == 2


def test_empty_file_is_not_an_error(tmp_path: Path) -> None:
    path = write_register(tmp_path / "e.parquet", rows=0)

    (only,) = resolve_inputs([str(path)])

    assert only.num_rows == 0
    assert sum(only.row_group_rows) == 0


def test_read_row_groups_reads_only_those(tmp_path: Path) -> None:
    path = write_register(tmp_path / "a.parquet", rows=10, row_group_size=3)

    table = read_row_groups(str(path), [1, 2], ["id"])

    assert table.column_names == ["id"]
    assert table.column("id").to_pylist() == [3, 4, 5, 6, 7, 8]
    assert read_row_groups(str(path), [3], None).num_columns == 2


def test_read_row_groups_error_is_input_error(tmp_path: Path) -> None:
    path = write_register(tmp_path / "a.parquet")
    with pytest.raises(InputError, match="a.parquet: cannot read row groups"):
        read_row_groups(str(path), [5], None)


def test_fsspec_url_directory_and_glob() -> None:
    memory = fsspec.filesystem("memory")
    table = pa.table({"id": pa.array([1, 2], pa.int64())})
    try:
        for name in ("b.parquet", "a.parquet", "_SUCCESS.parquet", "_tmp/x.parquet"):
            with memory.open(f"/tierline-test/{name}", "wb") as handle:
                pq.write_table(table, handle)

        files = resolve_inputs(["memory://tierline-test", "memory://tierline-test/a*.parquet"])

        assert paths_of(files) == [
            "memory:///tierline-test/a.parquet",
            "memory:///tierline-test/b.parquet",
        ]
        assert files[0].num_rows == 2 and files[0].size > 0
        with open_parquet(files[1].path) as parquet_file:
            assert parquet_file.metadata.num_rows == 2
        assert read_row_groups(files[0].path, [0], None).column("id").to_pylist() == [1, 2]
        with pytest.raises(InputError, match="memory://tierline-test/none.parquet: no such file"):
            resolve_inputs(["memory://tierline-test/none.parquet"])
    finally:
        memory.rm("/tierline-test", recursive=True)


def test_unknown_url_scheme() -> None:
    with pytest.raises(InputError, match="nosuchscheme://x/y.parquet: cannot open"):
        resolve_inputs(["nosuchscheme://x/y.parquet"])


# --- links, loops and what is never skipped silently -------------------------------------------


def test_symlinks_to_directories_and_files_are_followed(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_register(root / "a.parquet")
    write_register(tmp_path / "elsewhere" / "b.parquet")
    write_register(tmp_path / "single.parquet")
    (root / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (root / "s.parquet").symlink_to(tmp_path / "single.parquet")

    assert paths_of(resolve_inputs([str(root)])) == [
        str(root / "a.parquet"), str(root / "linked" / "b.parquet"), str(root / "s.parquet")]


def test_a_directory_reached_twice_is_walked_once_and_a_file_reached_twice_counts_once(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_register(root / "2026-05" / "a.parquet")
    (root / "current").symlink_to(root / "2026-05", target_is_directory=True)  # the same directory again
    (root / "copy.parquet").symlink_to(root / "2026-05" / "a.parquet")  # the same file again

    files = resolve_inputs([str(root), str(root / "current" / "a.parquet")])

    assert paths_of(files) == [str(root / "2026-05" / "a.parquet")]


@pytest.mark.parametrize("form", ["directory", "glob"])
def test_a_link_back_to_an_ancestor_is_a_loop_and_an_error(form: str, tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_register(root / "sub" / "a.parquet")
    loop = root / "sub" / "deeper" / "again"
    loop.parent.mkdir()
    loop.symlink_to(root, target_is_directory=True)
    argument = str(root) if form == "directory" else str(root / "**" / "*.parquet")

    with pytest.raises(InputError) as caught:
        resolve_inputs([argument])

    message = str(caught.value)
    assert message.startswith(f"{loop}: symbolic link loop")
    assert str(root) in message and "\n" not in message


def test_a_broken_symlink_is_an_error_not_a_skip(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_register(root / "a.parquet")
    (root / "sub").mkdir()
    (root / "sub" / "lost").symlink_to(tmp_path / "removed-directory", target_is_directory=True)

    with pytest.raises(InputError, match=r"reg/sub/lost: broken symbolic link"):
        resolve_inputs([str(root)])
    with pytest.raises(InputError, match=r"reg/sub/lost: broken symbolic link"):
        resolve_inputs([str(root / "sub" / "lost")])


def test_hidden_links_are_skipped_like_hidden_directories(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    write_register(root / "a.parquet")
    (root / "_old").symlink_to(tmp_path / "nowhere", target_is_directory=True)
    (root / ".cache").symlink_to(root, target_is_directory=True)  # a loop, but hidden

    assert paths_of(resolve_inputs([str(root)])) == [str(root / "a.parquet")]


def test_glob_follows_links_and_skips_hidden_matches(tmp_path: Path) -> None:
    write_register(tmp_path / "reg" / "x" / "1.parquet")
    write_register(tmp_path / "other" / "2.parquet")
    write_register(tmp_path / "reg" / "_staging" / "3.parquet")
    (tmp_path / "reg" / "y").symlink_to(tmp_path / "other", target_is_directory=True)

    assert paths_of(resolve_inputs([str(tmp_path / "reg" / "**" / "*.parquet")])) == [
        str(tmp_path / "reg" / "x" / "1.parquet"), str(tmp_path / "reg" / "y" / "2.parquet")]
    assert paths_of(resolve_inputs([str(tmp_path / "reg" / "*")])) == [
        str(tmp_path / "reg" / "x" / "1.parquet"), str(tmp_path / "reg" / "y" / "2.parquet")]
    assert paths_of(resolve_inputs([str(tmp_path / "reg" / "_*")])) == [
        str(tmp_path / "reg" / "_staging" / "3.parquet")]
    write_register(tmp_path / "reg" / "_part-0.parquet")
    assert paths_of(resolve_inputs([str(tmp_path / "reg" / "_part*")])) == [str(tmp_path / "reg" / "_part-0.parquet")]


def test_a_file_url_is_resolved_as_the_local_path(tmp_path: Path) -> None:
    write_register(tmp_path / "reg" / "a.parquet")
    (tmp_path / "reg" / "loop").symlink_to(tmp_path / "reg", target_is_directory=True)

    with pytest.raises(InputError, match=r"file://.*symbolic link loop|reg/loop: symbolic link loop"):
        resolve_inputs([f"file://{tmp_path / 'reg'}"])
    (tmp_path / "reg" / "loop").unlink()
    assert paths_of(resolve_inputs([f"file://{tmp_path / 'reg'}"])) == [str(tmp_path / "reg" / "a.parquet")]


def test_a_url_folder_that_cannot_be_listed_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """fsspec's walk omits folders it cannot list unless asked to raise."""
    memory = fsspec.filesystem("memory")
    table = pa.table({"id": pa.array([1, 2], pa.int64())})
    try:
        for name in ("a.parquet", "locked/b.parquet"):
            with memory.open(f"/tierline-walk/{name}", "wb") as handle:
                pq.write_table(table, handle)
        listing = type(memory).ls

        def refusing(self, path, detail=True, **kwargs):  # noqa: ANN001 - fsspec's signature
            if path.rstrip("/").endswith("locked"):
                raise PermissionError(f"{path}: access denied")
            return listing(self, path, detail=detail, **kwargs)

        monkeypatch.setattr(type(memory), "ls", refusing)
        with pytest.raises(InputError, match=r"memory://tierline-walk: cannot open \(.*access denied"):
            resolve_inputs(["memory://tierline-walk"])
    finally:
        monkeypatch.undo()
        memory.rm("/tierline-walk", recursive=True)


def test_a_missing_file_system_package_while_reading_is_an_input_error(tmp_path: Path) -> None:
    """A worker without the driver the client had: the task's ImportError becomes exit 3."""
    from tierline.pipeline.partitions import Partition

    fsspec.register_implementation("tierline-absent", "tierline_absent_driver.FileSystem",
                                   errtxt="Install tierline-absent-driver to read tierline-absent:// URLs")
    partition = Partition(0, "tierline-absent://bucket/a.parquet", (0,), 3, 0)

    with pytest.raises(InputError) as caught:
        read_partition(partition, None)

    assert str(caught.value).startswith("tierline-absent://bucket/a.parquet: cannot open it on this worker")
    assert "Install tierline-absent-driver" in str(caught.value)
