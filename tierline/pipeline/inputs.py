"""Resolving `--input` arguments to Parquet files and inspecting their footers (SPEC §3).

Only footers are read here: a register of many gigabytes is planned from metadata alone, and the
data is read later, one partition at a time, inside Dask tasks (`read_partition`). Every failure is
an `InputError` with one line naming the path, so a bad input stops the run before anything is
written.

Every file under an input directory is read, or the run fails: a directory that cannot be listed,
a broken symbolic link or a file that cannot be opened is an error, never a silent skip (`os.walk`
and `glob` drop such errors, so neither is used). Symbolic links to files and to directories are
followed, under a directory and under `**` alike; a link back to one of its own ancestors (a loop)
is an error naming the link; a directory reached a second time through another link is walked once,
and a file reached twice (by two links, or named twice) counts once.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from tierline.errors import InputError

if TYPE_CHECKING:  # partitions.py imports this module
    from tierline.pipeline.partitions import Partition

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
# A plain local URL (not chained): resolved as the local path it names, by the same rules.
_LOCAL_URL = re.compile(r"^(file|local)://")
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
    except ImportError as exc:
        raise _missing_driver(path, exc) from exc
    except _read_errors(path) as exc:
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
    except ImportError as exc:
        raise _missing_driver(partition.path, exc) from exc
    except _read_errors(partition.path) as exc:
        raise InputError(
            f"{partition.path}: cannot read rows {partition.skip_rows:,}-{end:,} of row group {row_group} "
            f"({_short_reason(exc)})"
        ) from exc
    table = pa.Table.from_batches(batches) if batches else pa.table({})
    return table.slice(partition.skip_rows - batches_start, partition.num_rows)


def _missing_driver(path: str, error: ImportError) -> InputError:
    """A worker without the fsspec driver the client had (s3fs, gcsfs...): an input error (exit 3)."""
    return InputError(
        f"{path}: cannot open it on this worker, a file system package is missing ({_short_reason(error)})"
    )


def _read_errors(path: str) -> tuple[type[BaseException], ...]:
    """What reading `path` may raise for a bad or unreachable input.

    Local files fail with OSError or an Arrow error; fsspec drivers raise their own types as well
    (botocore's EndpointConnectionError is not an OSError), so for a URL any exception from the
    driver is the store's failure to give us the file.
    """
    return (Exception,) if is_url(path) else (OSError, pa.ArrowException, ValueError)


# --- expansion -------------------------------------------------------------------------------


def _expand_all(paths: Iterable[str]) -> Iterable[str]:
    for path in paths:
        yield from _expand(path)


def _expand(path: str) -> list[str]:
    """One `--input` argument to the file paths it names, sorted where it names several."""
    if _LOCAL_URL.match(path):
        return _expand_local(_LOCAL_URL.sub("", path, count=1), shown=path)
    if is_url(path):
        return _expand_url(path)
    return _expand_local(path)


def _expand_local(path: str, shown: str | None = None) -> list[str]:
    shown = shown or path
    local = os.path.abspath(os.path.expanduser(path))
    # An existing path is taken literally even if its name contains `[` or `*`.
    if os.path.isfile(local):
        return [local]
    if os.path.isdir(local):
        return _nonempty(shown, _parquet_files_below(local), "directory")
    if os.path.islink(local):
        raise InputError(f"{shown}: broken symbolic link (it points to {os.readlink(local)})")
    if _has_glob(path):
        return _nonempty(shown, _files_from_matches(_glob_local(local)), "glob")
    raise InputError(f"{shown}: no such file or directory")


def _parquet_files_below(directory: str) -> list[str]:
    """Every visible `*.parquet` file under `directory`, links followed (see the module), sorted by path.

    Names starting with `_` or `.` are skipped at every level: they are writers' markers and
    scratch space (`_SUCCESS`, `_staging`, `.crc`), as in Spark and pyarrow.dataset.
    """
    return sorted(
        entry.path
        for _, files in _walk(directory)
        for entry in files
        if entry.name.endswith(_PARQUET_SUFFIX)
    )


def _walk(top: str) -> Iterator[tuple[str, list[os.DirEntry]]]:
    """Each directory under `top` (itself included) with its visible non-directory entries.

    Depth first in name order, so the walk (and which of two links to one directory is walked) is
    the same on every run. Links are followed; a directory is walked once by real path; one whose
    real path is that of a directory on its own way down from `top` is a loop, and an error.
    """
    top_real = os.path.realpath(top)
    walked = {top_real}
    pending = [(top, (top_real,))]
    while pending:
        directory, way_down = pending.pop()
        subdirectories, files = _listing(directory)
        yield directory, files
        below = []
        for entry in subdirectories:
            real = os.path.realpath(entry.path)
            if real in way_down:
                raise InputError(
                    f"{entry.path}: symbolic link loop (it leads back to {real}, which contains it); "
                    "remove the link or give --input below it"
                )
            if real not in walked:  # else reached before by another link: its files count once
                walked.add(real)
                below.append((entry.path, way_down + (real,)))
        pending.extend(reversed(below))


def _listing(directory: str) -> tuple[list[os.DirEntry], list[os.DirEntry]]:
    """The visible subdirectories and other entries of `directory`, by name; any failure is an error."""
    subdirectories: list[os.DirEntry] = []
    files: list[os.DirEntry] = []
    try:
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if _is_hidden(entry.name):
                    continue
                if entry.is_dir():  # follows links
                    subdirectories.append(entry)
                elif entry.is_symlink() and not os.path.exists(entry.path):
                    raise InputError(
                        f"{entry.path}: broken symbolic link (it points to {os.readlink(entry.path)})"
                    )
                else:
                    files.append(entry)
    except OSError as exc:
        raise InputError(
            f"{exc.filename or directory}: cannot read this directory under --input "
            f"({exc.strerror or _short_reason(exc)})"
        ) from exc
    return subdirectories, files


def _glob_local(pattern: str) -> list[str]:
    """What `glob.glob(pattern, recursive=True)` finds, but strict and link-following like `_walk`.

    A directory the pattern must list and cannot is an error, not an empty match, and `**` walks
    by `_walk`'s rules (loops refused). Hidden names match only a pattern part that starts the same
    way, or that names them literally.
    """
    parts = pattern.split(os.sep)
    matches = [parts[0] or os.sep]
    for part in parts[1:]:
        if not part:
            continue
        if part == "**":
            matches = [below for match in matches if os.path.isdir(match)
                       for below, _ in _walk(match)]
        elif _has_glob(part):
            matches = [os.path.join(match, name) for match in matches if os.path.isdir(match)
                       for name in _names(match, part)]
        else:
            matches = [os.path.join(match, part) for match in matches
                       if os.path.lexists(os.path.join(match, part))]
    return sorted(matches)


def _names(directory: str, part: str) -> list[str]:
    """The entries of `directory` that the pattern `part` matches."""
    try:
        names = os.listdir(directory)
    except OSError as exc:
        raise InputError(
            f"{directory}: cannot read this directory under --input ({exc.strerror or _short_reason(exc)})"
        ) from exc
    wants_hidden = part.startswith(("_", "."))
    return sorted(name for name in names
                  if fnmatch.fnmatchcase(name, part) and (wants_hidden or not _is_hidden(name)))


def _files_from_matches(matches: Sequence[str]) -> list[str]:
    """Glob matches to files: matched files as named, matched directories expanded.

    A file the pattern matches is taken whatever its suffix (the user chose the pattern); markers
    such as `_SUCCESS` are matched only by a pattern that asks for `_` names (`_glob_local`).
    """
    files: list[str] = []
    for match in matches:
        if os.path.isdir(match):
            files.extend(_parquet_files_below(match))
        elif os.path.islink(match) and not os.path.exists(match):
            raise InputError(f"{match}: broken symbolic link (it points to {os.readlink(match)})")
        else:
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
    except Exception as exc:  # noqa: BLE001 - see _read_errors: the driver's own types included
        # Unknown protocol, missing driver package (s3fs, gcsfs...), or the store refused us.
        raise InputError(f"{url}: cannot open ({_short_reason(exc)})") from exc
    raise InputError(f"{url}: no such file or directory")


def _url_parquet_files_below(filesystem: fsspec.AbstractFileSystem, root: str) -> list[str]:
    """Every visible `*.parquet` object under `root`, one listing per folder.

    Not `filesystem.find`: fsspec's generic walk omits a folder it cannot list (and does not pass
    `on_error="raise"` down to subfolders), so a refused listing here is an error.
    """
    found = []
    pending = [root.rstrip("/")]
    while pending:
        folder = pending.pop()
        for info in filesystem.ls(folder, detail=True):
            name = info["name"].rstrip("/")
            if name == folder or _is_hidden(_basename(name)):
                continue
            if info["type"] == "directory":
                pending.append(name)
            elif name.endswith(_PARQUET_SUFFIX):
                found.append(name)
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
    except _read_errors(path) as exc:
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
