"""Small vectorised helpers shared by the generators."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def ids(prefix: str, n: int, width: int = 8) -> pa.Array:
    """`prefix` + a zero-padded serial: EQ00000001, EQ00000002, …"""
    # Arrow's string kernels refuse results that might pass 2 GiB; past about 50M ids (a 100M-row
    # register) they need 64-bit offsets (large_string)
    text = pa.large_string() if n > 50_000_000 else pa.string()
    numbers = pa.array(np.arange(1, n + 1)).cast(text)
    return pc.binary_join_element_wise(pa.scalar(prefix, text), pc.utf8_lpad(numbers, width=width, padding="0"), pa.scalar("", text))


def with_nulls(values: np.ndarray, rng: np.random.Generator, fraction: float) -> pa.Array:
    """`values` with about `fraction` of them null."""
    return pa.array(values, mask=rng.random(len(values)) < fraction)


def choice(rng: np.random.Generator, values: list[str], n: int, p: list[float] | None = None) -> pa.Array:
    """`n` strings drawn from `values` (with probabilities `p`)."""
    return pa.array(rng.choice(np.array(values, dtype=object), size=n, p=p), type=pa.string())


def flags(rng: np.random.Generator, n: int, share: float) -> pa.Array:
    """`n` booleans, about `share` of them true."""
    return pa.array(rng.random(n) < share)
