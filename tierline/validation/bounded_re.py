"""Python's `re.search` over many texts, with a time bound on each text.

Great Expectations matches regular expressions with Python's `re` (pandas `str.contains`), a
backtracking engine: a pattern such as `^(a+)+(?=b)` runs for hours on one unlucky value. Where
RE2 cannot stand in for it (`tierline.validation.checks`), the texts are searched by `re` itself in a
child process that arms an alarm before every text, so the first text over the bound ends the
search with `RegexTimeout` instead of hanging the run.

Why a child process: only a process's main thread receives signals, and `re` looks for them as
it backtracks, so an alarm interrupts it there and nowhere else (a Dask task runs in a worker
thread). Why not the `regex` package and its `timeout=`: it is another engine with other
definitions. On Python 3.11 its \\w disagrees with `re`'s on 30,468 code points, \\d on 110 and
\\s on 4 (\\x1c-\\x1f), and it reads some text `re` takes literally (`a{e<=1}` is fuzzy matching
there), so it would not give GX's verdicts. The child costs a Python start (tens of ms) per
search, and runs only for patterns or data RE2 cannot take.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import numpy as np

# The longest `re` may take over one text. Honest patterns take microseconds; backtracking that
# runs past a second is exponential and would not end in a lifetime.
SECONDS_PER_TEXT = 1.0

_TIMED_OUT = 3  # the child's exit code when a text ran over the bound

# Reads {"pattern", "seconds", "texts"} as JSON on stdin and writes one byte per text (1: found).
# A watchdog ticks every `seconds` and stops the search when the text it saw at its last tick is
# still being searched, so a text is stopped after one to two bounds; re-arming a timer for every
# text would cost more than most searches.
_CHILD = r"""
import json, re, signal, sys
request = json.loads(sys.stdin.buffer.read())
search = re.compile(request["pattern"]).search
texts, seconds = request["texts"], request["seconds"]
found = bytearray(len(texts))
index, seen = -1, -2
def tick(signum, frame):
    global seen
    if index == seen:
        raise TimeoutError
    seen = index
watchdog = hasattr(signal, "setitimer")
if watchdog:
    signal.signal(signal.SIGALRM, tick)
    signal.setitimer(signal.ITIMER_REAL, seconds, seconds)
try:
    for index, text in enumerate(texts):
        found[index] = search(text) is not None
    if watchdog:
        signal.setitimer(signal.ITIMER_REAL, 0)
except TimeoutError:
    sys.exit(%d)
sys.stdout.buffer.write(bytes(found))
""" % _TIMED_OUT


class RegexTimeout(Exception):
    """`re` ran over the bound on one text."""

    def __init__(self, seconds: float):
        super().__init__(f"Python's re ran over {seconds:g} s on one value")
        self.seconds = seconds


def search_each(pattern: str, texts: Sequence[str], seconds: float = SECONDS_PER_TEXT) -> np.ndarray:
    """`re.search(pattern, text) is not None` for every text, as a bool array; raises `RegexTimeout`
    when one text takes longer than `seconds` (it is stopped within twice that). `pattern` must
    compile (the caller has checked it)."""
    if len(texts) == 0:
        return np.zeros(0, dtype=bool)
    request = json.dumps({"pattern": pattern, "seconds": seconds, "texts": list(texts)}).encode()
    # The watchdog is the bound; this one only catches a child that cannot arm it (no setitimer).
    overall = 30.0 + 2 * seconds * len(texts)
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _CHILD], input=request, capture_output=True,
                              timeout=overall, check=False)
    except subprocess.TimeoutExpired:
        raise RegexTimeout(seconds) from None
    if done.returncode == _TIMED_OUT:
        raise RegexTimeout(seconds)
    if done.returncode != 0 or len(done.stdout) != len(texts):
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the regex search process failed (exit {done.returncode}): {last[0]}")
    return np.frombuffer(done.stdout, dtype=np.uint8).astype(bool)
