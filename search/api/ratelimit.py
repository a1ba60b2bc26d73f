"""A token bucket per caller, in this process's memory.

Each caller (an API key, or a client address when there is no key) may burst up to the
whole allowance and then gets tokens back at a steady rate: "60/minute" allows 60 requests
at once, then one a second. With several worker processes each keeps its own buckets, so
the effective limit is the per-worker limit times the workers a caller's requests reach.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def parse_rate(text: str | None) -> Rate | None:
    """'60/minute' -> Rate(60, 60.0); empty or None -> None (no limit)."""
    if text is None or not text.strip():
        return None
    match = _RATE.match(text)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"rate limit {text!r} is not like '60/minute' (second, hour, day)")
    return Rate(int(match.group(1)), _PERIODS[match.group(2)])


class RateLimiter:
    """Token buckets keyed by caller. Not thread-safe: call it from the event loop only."""

    def __init__(
        self,
        rate: Rate,
        max_callers: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.max_callers = max_callers
        self.clock = clock
        # caller -> (tokens left, when last refilled); oldest-used first, for eviction.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def acquire(self, caller: str) -> int:
        """Take one token: 0 if allowed, else the whole seconds to wait before retrying."""
        now = self.clock()
        tokens, then = self._buckets.pop(caller, (float(self.rate.requests), now))
        tokens = min(float(self.rate.requests), tokens + (now - then) * self.rate.per_second)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[caller] = (tokens, now)
        # A flood of distinct addresses must not grow memory without bound; a bucket
        # evicted here only forgets a caller that has been quiet the longest.
        while len(self._buckets) > self.max_callers:
            self._buckets.popitem(last=False)
        if allowed:
            return 0
        return max(1, math.ceil((1.0 - tokens) / self.rate.per_second))
