"""Resolving `--input` arguments to Parquet files and inspecting their footers (SPEC §3).

Only footers are read here: a register of many gigabytes is planned from metadata alone, and the
data is read later, row group by row group, inside Dask tasks (`read_partition`). Every failure is
an `InputError` with one line naming the path, so a bad input stops the run before anything is
written.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.errors import InputError

if TYPE_CHECKING:  # partitions.py imports this module
    from pipeline.partitions import Partition

__all__ = [
    "InputFile",
    "is_url",
    "open_parquet",
    "read_partition",
    "read_row_groups",
    "resolve_inputs",
]

# `scheme://` (including chained fsspec URLs such as `simplecache::s3://`); a Windows drive letter
# never has the double slash, so `C:\data` stays a local path.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*(::[A-Za-z][A-Za-z0-9+.\-]*)*://")
_GLOB_CHARS = ("*", "?", "[")
_PARQUET_SUFFIX = ".parquet"
_REASON_MAX = 160
_SLICE_BATCH_ROWS = 16_384  # a row-group slice is read in batches of this size (see `_read_slice`)


@dataclass(frozen=True)
class InputFile:
    """One Parquet input as described by its footer.

    `path` is the string to open: an absolute path for local files, the fsspec URL otherwise.
    """

    path: str
    size: int
    num_rows: int
    row_group_rows: tuple[int, ...]
    schema: pa.Schema


def is_url(path: str) -> bool:
    """True for fsspec URLs (`scheme://...`), which are resolved and opened through fsspec."""
    return _URL.match(path) is not None


def resolve_inputs(paths: Sequence[str]) -> list[InputFile]:
    """Expand files, directories, globs and URLs to inspected Parquet files, in a stable order.

    Order is argument order, and sorted within a directory or glob, so that partition indexes and
    therefore output part names are the same on every rerun. A file named twice counts once (the
    first mention fixes its position). All files must share one schema (by column name and type);
    zero rows in total is not an error here, the caller decides.
    """
    files = [_inspect(path) for path in _dedupe(_expand_all(paths))]
    _check_same_schema(files)
    return files


def open_parquet(path: str) -> pq.ParquetFile:
    """Open a local path or an fsspec URL as a `ParquetFile` (use it as a context manager).

    For URLs the fsspec filesystem is handed to pyarrow, which then owns and closes the handle.
    """
    if is_url(path):
        filesystem, fs_path = fsspec.core.url_to_fs(path)
        return pq.ParquetFile(fs_path, filesystem=filesystem)
    return pq.ParquetFile(path)


def read_row_groups(
    path: str, row_groups: Sequence[int], columns: Sequence[str] | None
) -> pa.Table:
    """Read just `row_groups` of one file (all columns when `columns` is None).

    `use_threads=False` because Dask already runs one task per partition on every core; nested
    pyarrow threads would only oversubscribe them.
    """
    wanted = None if columns is None else list(columns)
    try:
        with open_parquet(path) as parquet_file:
            return parquet_file.read_row_groups(
                list(row_groups), columns=wanted, use_threads=False
            )
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InputError(
            f"{path}: cannot read row groups {list(row_groups)} ({_short_reason(exc)})"
        ) from exc


def read_partition(partition: Partition, columns: Sequence[str] | None) -> pa.Table:
    """The rows of one planned partition: its row groups, or its slice of one row group."""
    if partition.sliced:
        table = _read_slice(partition, columns)
    else:
        table = read_row_groups(partition.path, partition.row_groups, columns)
    if table.num_rows != partition.num_rows:
        raise InputError(
            f"{partition.path}: holds {table.num_rows:,} rows where its footer promised "
            f"{partition.num_rows:,} (was it rewritten during the run?)"
        )
    return table



def _read_slice(partition: Partition, columns: Sequence[str] | None) -> pa.Table:
    """Rows `skip_rows` to `skip_rows + num_rows` of the partition's one row group.

    Parquet cannot seek to a row inside a row group, but it decodes pages as batches are asked
    for, so the read stops after the batch holding the slice's last row: a row group cut into k
    slices costs (k + 1) / 2 reads of it, not k.
    """
    (row_group,) = partition.row_groups
    end = partition.skip_rows + partition.num_rows
    wanted = None if columns is None else list(columns)
    batches, batches_start, seen = [], 0, 0
    try:
        with open_parquet(partition.path) as parquet_file:
            for batch in parquet_file.iter_batches(batch_size=_SLICE_BATCH_ROWS, row_groups=[row_group],
                                                   columns=wanted, use_threads=False):
                if seen + batch.num_rows <= partition.skip_rows:
                    batches_start += batch.num_rows
                else:
                    batches.append(batch)
                seen += batch.num_rows
                if seen >= end:
                    break
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InputError(
            f"{partition.path}: cannot read rows {partition.skip_rows:,}-{end:,} of row group {row_group} "
            f"({_short_reason(exc)})"
        ) from exc
    table = pa.Table.from_batches(batches) if batches else pa.table({})
    return table.slice(partition.skip_rows - batches_start, partition.num_rows)

# --- expansion -------------------------------------------------------------------------------


def _expand_all(paths: Iterable[str]) -> Iterable[str]:
    for path in paths:
        yield from _expand(path)


def _expand(path: str) -> list[str]:
    """One `--input` argument to the file paths it names, sorted where it names several."""
    if is_url(path):
        return _expand_url(path)
    return _expand_local(path)


def _expand_local(path: str) -> list[str]:
    local = os.path.abspath(os.path.expanduser(path))
    # An existing path is taken literally even if its name contains `[` or `*`.
    if os.path.isfile(local):
        return [local]
    if os.path.isdir(local):
        return _nonempty(path, _parquet_files_below(local), "directory")
    if _has_glob(path):
        matches = sorted(glob.glob(local, recursive=True))
        return _nonempty(path, _files_from_matches(matches), "glob")
    raise InputError(f"{path}: no such file or directory")


def _parquet_files_below(directory: str) -> list[str]:
    """Every visible `*.parquet` file under `directory`, sorted by path.

    Names starting with `_` or `.` are skipped at every level: they are writers' markers and
    scratch space (`_SUCCESS`, `_staging`, `.crc`), as in Spark and pyarrow.dataset.
    """
    found: list[str] = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = [name for name in dirs if not _is_hidden(name)]
        found.extend(
            os.path.join(root, name)
            for name in names
            if not _is_hidden(name) and name.endswith(_PARQUET_SUFFIX)
        )
    return sorted(found)


def _files_from_matches(matches: Sequence[str]) -> list[str]:
    """Glob matches to files: matched files as named, matched directories expanded.

    A file the pattern matches is taken whatever its suffix (the user chose the pattern), except
    hidden or `_`-prefixed markers such as `_SUCCESS`, which `dir/*` would otherwise pull in.
    """
    files: list[str] = []
    for match in matches:
        if os.path.isdir(match):
            files.extend(_parquet_files_below(match))
        elif not _is_hidden(os.path.basename(match)):
            files.append(match)
    return files


def _expand_url(url: str) -> list[str]:
    """The URL form of each file an fsspec URL (file, directory or glob) names."""
    try:
        filesystem, fs_path = fsspec.core.url_to_fs(url)
        if _has_glob(fs_path) and not filesystem.exists(fs_path):
            matches = sorted(filesystem.glob(fs_path))
            files: list[str] = []
            for match in matches:
                if filesystem.isdir(match):
                    files.extend(_url_parquet_files_below(filesystem, match))
                elif not _is_hidden(_basename(match)):
                    files.append(match)
            return [filesystem.unstrip_protocol(f) for f in _nonempty(url, files, "glob")]
        if filesystem.isfile(fs_path):
            return [filesystem.unstrip_protocol(fs_path)]
        if filesystem.isdir(fs_path):
            files = _nonempty(url, _url_parquet_files_below(filesystem, fs_path), "directory")
            return [filesystem.unstrip_protocol(f) for f in files]
    except InputError:
        raise
    except (ImportError, ValueError, OSError) as exc:
        # Unknown protocol, missing driver package (s3fs, gcsfs...), or the store refused us.
        raise InputError(f"{url}: cannot open ({_short_reason(exc)})") from exc
    raise InputError(f"{url}: no such file or directory")


def _url_parquet_files_below(filesystem: fsspec.AbstractFileSystem, root: str) -> list[str]:
    root = root.rstrip("/")
    found = []
    for file_path in filesystem.find(root):
        relative = file_path[len(root) :].lstrip("/") if file_path.startswith(root) else file_path
        parts = relative.split("/")
        if any(_is_hidden(part) for part in parts):
            continue
        if file_path.endswith(_PARQUET_SUFFIX):
            found.append(file_path)
    return sorted(found)


def _nonempty(path: str, files: list[str], kind: str) -> list[str]:
    if not files:
        raise InputError(f"{path}: {kind} matches no Parquet file")
    return files


def _dedupe(paths: Iterable[str]) -> list[str]:
    """Drop repeats, keeping first order; local files are compared by their real path."""
    seen: set[str] = set()
    unique: list[str] = []
    for path in paths:
        key = path if is_url(path) else os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _has_glob(path: str) -> bool:
    return any(char in path for char in _GLOB_CHARS)


def _is_hidden(name: str) -> bool:
    return name.startswith(("_", "."))


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


# --- inspection ------------------------------------------------------------------------------


def _inspect(path: str) -> InputFile:
    """Read one footer; any failure means the file is not usable Parquet."""
    try:
        with open_parquet(path) as parquet_file:
            metadata = parquet_file.metadata
            schema = parquet_file.schema_arrow
            row_group_rows = tuple(
                metadata.row_group(index).num_rows for index in range(metadata.num_row_groups)
            )
            size = _file_size(path)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InputError(
            f"{path}: not a readable Parquet file ({_short_reason(exc)})"
        ) from exc
    return InputFile(
        path=path,
        size=size,
        num_rows=metadata.num_rows,
        row_group_rows=row_group_rows,
        schema=schema,
    )


def _file_size(path: str) -> int:
    if is_url(path):
        filesystem, fs_path = fsspec.core.url_to_fs(path)
        return int(filesystem.size(fs_path))
    return os.path.getsize(path)


def _short_reason(exc: BaseException) -> str:
    """The first line of an exception message, bounded, so the error stays one line."""
    text = str(exc).strip().splitlines()
    reason = text[0] if text else type(exc).__name__
    if len(reason) > _REASON_MAX:
        reason = reason[: _REASON_MAX - 3] + "..."
    return reason


# --- schema agreement ------------------------------------------------------------------------


def _check_same_schema(files: Sequence[InputFile]) -> None:
    """All files must have the same columns with the same types (order and metadata ignored).

    Nullability is ignored too: writers disagree about it and it does not change how a column is
    read. The first file is the reference; the first file that differs is named.
    """
    if not files:
        return
    reference = files[0]
    reference_types = _types_by_name(reference.schema)
    for candidate in files[1:]:
        problem = _schema_difference(reference_types, _types_by_name(candidate.schema))
        if problem is not None:
            raise InputError(
                f"{candidate.path}: schema differs from {reference.path}: {problem}"
            )


def _types_by_name(schema: pa.Schema) -> dict[str, pa.DataType]:
    return {field.name: field.type for field in schema}


def _schema_difference(
    reference: dict[str, pa.DataType], candidate: dict[str, pa.DataType]
) -> str | None:
    """A one-phrase description of the first difference, in the reference's column order."""
    for name, reference_type in reference.items():
        if name not in candidate:
            return f"column '{name}' ({reference_type}) is missing here"
        if not candidate[name].equals(reference_type):
            return f"column '{name}' is {candidate[name]} here but {reference_type} there"
    for name, candidate_type in candidate.items():
        if name not in reference:
            return f"column '{name}' ({candidate_type}) is not in the other file"
    return None
