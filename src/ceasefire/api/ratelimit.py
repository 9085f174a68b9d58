"""How often a caller may knock: bad tokens per address, requests per token.

Two limits, both in memory of one service process, both bounded in size whatever a hostile
client sends:

- :class:`BadTokens` counts the bad bearer tokens (unknown, disabled, expired, malformed) each
  client address sends in a fixed window; past the limit the address gets 429 for the rest of
  the window, before its token is even looked up, so guessing tokens costs the guesser its
  access and the store no queries. IPv6 clients are counted by /64 (one subscriber's usual
  allocation), so a single host cannot take a fresh address per guess.
- :class:`TokenRates` is a token bucket per valid bearer token (RFC 6585 section 4 names the
  429 answer and its ``Retry-After``): ``rate`` requests a second on average, ``burst`` at once.

Each keeps at most ``size`` keys, the least recently seen dropped first. A flood of random
addresses can push out an address that is being counted, which then starts again from zero:
it needs ``size`` fresh /64 prefixes (or IPv4 addresses) to do so, far more than a party's
liaison office holds. Behind a reverse proxy every client has the proxy's address: limit bad
tokens at the proxy then, or raise ``bad_tokens``.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

#: Keys each limiter keeps at most (about 150 bytes each: some 15 MB in all, at most).
SIZE = 50_000


def client_key(host: str | None) -> str:
    """What a client is counted by: its IPv4 address, or the /64 of its IPv6 address."""
    if not host:
        return "?"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a test client, a Unix socket): counted as it is named
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass
class _Window:
    start: float
    count: int


class BadTokens:
    """Bad tokens per client in fixed windows of ``window_s`` seconds; ``limit`` are allowed."""

    def __init__(
        self,
        limit: int,
        window_s: float,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window_s = window_s
        self._size = size
        self._clock = clock
        self._seen: OrderedDict[str, _Window] = OrderedDict()

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try a token again, or None when it may now."""
        if self._limit <= 0:
            return None
        seen = self._seen.get(client)
        if seen is None or seen.count < self._limit:
            return None
        left = seen.start + self._window_s - self._clock()
        if left <= 0:
            del self._seen[client]
            return None
        return max(1, math.ceil(left))

    def failed(self, client: str) -> None:
        """Count one bad token from ``client``."""
        if self._limit <= 0:
            return
        now = self._clock()
        seen = self._seen.get(client)
        if seen is None or seen.start + self._window_s <= now:
            seen = _Window(now, 0)
            self._seen[client] = seen
        seen.count += 1
        self._seen.move_to_end(client)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)


@dataclass
class _Bucket:
    level: float
    at: float


class TokenRates:
    """A token bucket per key: ``rate`` requests a second, ``burst`` at once (``rate`` 0: no
    limit)."""

    def __init__(
        self,
        rate: float,
        burst: int,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = max(1, burst)
        self._size = size
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> int | None:
        """Spend one request of ``key``'s; None when it may go, else the seconds to wait."""
        if self._rate <= 0:
            return None
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self._burst), now)
            self._buckets[key] = bucket
        else:
            bucket.level = min(self._burst, bucket.level + (now - bucket.at) * self._rate)
            bucket.at = now
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._size:
            self._buckets.popitem(last=False)
        if bucket.level < 1:
            return max(1, math.ceil((1 - bucket.level) / self._rate))
        bucket.level -= 1
        return None
