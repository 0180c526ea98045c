"""The limits that keep one hostile or broken scorecard from taking the machine down.

A scorecard is a few kilobytes of hand-written YAML; every limit here is far above what a real one
needs and far below what would exhaust memory, the Python stack or a core's minute. Each one is
refused as a `ScorecardError` (exit 2) naming the file, and the line where it is known. README,
"Limits", says the same in words.
"""

from __future__ import annotations

# Files are checked with os.stat before they are opened, and never read past limit + 1 bytes.
MAX_SCORECARD_BYTES = 1 << 20  # 1 MiB: the largest shipped scorecard (arrears) is ~12 KiB
MAX_EXTRA_SUITE_BYTES = 16 << 20  # 16 MiB: `tierline expectations` writes ~300 bytes an expectation

# YAML: nesting and the node count are enforced while the document is composed, before any
# Python object exists. Nodes are counted with every alias expanded, so a billion-laughs file
# is refused at the alias that would pass the limit, not after it has been built.
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 100_000

# Integers in YAML must fit int64 (Parquet's int columns, Arrow's int64 action columns); digits
# and letters are counted before Python converts them, so a 100,000-digit integer costs nothing.
MAX_INTEGER_CHARS = 100
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
INT32_MAX = (1 << 31) - 1  # `version` is written as int32 into every output row

# Expressions: the parser is recursive descent and the compiler walks the tree recursively, so
# both the nesting of parentheses / `not` / `-` and the depth of the tree (each operator of a
# chain adds one level) are bounded well inside Python's recursion limit.
MAX_EXPRESSION_CHARS = 10_000
MAX_EXPRESSION_DEPTH = 64
MAX_EXPRESSION_TERMS = 1_000  # names and literals, `in` list values included
MAX_NUMBER_CHARS = 64  # a number literal's text; it must also be a finite float64

# Regular expressions (`regex:`) are compiled by Python's recursive `re` parser here, by GX and
# by RE2 at run time.
MAX_REGEX_CHARS = 1_000
MAX_REGEX_GROUP_DEPTH = 32

# `tierline check` prints one line a problem; past this many, one line says how many more.
MAX_REPORTED_PROBLEMS = 100

# How much of a long offending value a one-line message quotes.
QUOTE_CHARS = 60


def quote(value: object) -> str:
    """`repr(value)`, cut to a readable length: messages are one line, whatever the file holds."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's 4,300-digit str limit
        return f"<a {type(value).__name__} too long to quote>"
    if len(text) <= QUOTE_CHARS:
        return text
    length = len(value) if isinstance(value, str) else len(text)
    return f"{text[:QUOTE_CHARS - 5]}... ({length:,} characters)"
