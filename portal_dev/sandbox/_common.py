"""Seeding and time helpers shared by the sandbox's generators.

Determinism rule: generated identity data (ids, names, versions, tokens) depends only on the seed
and the workspace number, never on the global `random`, the wall clock or the fleet size. Every
generator derives its own `random.Random` (or numpy hash stream) from `sub_seed(seed, ...)`.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, datetime

import numpy as np

_MASK64 = (1 << 64) - 1


def sub_seed(seed: int, *parts: object) -> int:
    """A 64-bit seed for one generator, derived from the fleet seed and a path of labels."""
    text = ":".join([str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def rng(seed: int, *parts: object) -> random.Random:
    """An independent `random.Random` for one generator (one workspace, one catalogue, ...)."""
    return random.Random(sub_seed(seed, *parts))


def uuid_from(r: random.Random) -> str:
    """A UUID4-shaped string drawn from `r` (uuid.uuid4 would use the OS entropy)."""
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised: a cheap, well-spread hash of uint64 values."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64, copy=True)
        z += np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def mix64_int(value: int) -> int:
    """The scalar twin of `mix64`, bit-for-bit identical."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def unit(hashes: np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1) from uint64 hashes (top 53 bits)."""
    return (hashes >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def iso(ts: float | None) -> str | None:
    """Epoch seconds → ISO 8601 UTC with `Z` (second precision); None stays None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(ts: float) -> str:
    """Epoch seconds → ISO 8601 UTC with milliseconds, for the request log."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def js_date_string(ts: float) -> str:
    """What JavaScript's `Date.prototype.toString()` prints on a UTC server (8.x `lastLogin`)."""
    return datetime.fromtimestamp(ts, UTC).strftime(
        "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def parse_iso(value: str) -> float:
    """ISO 8601 (with `Z` or an offset; naive means UTC) → epoch seconds. Raises ValueError."""
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
