"""The one way a test waits for something that happens on another thread, process or socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


def wait_for(
    check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, *, fail: bool = True
) -> Any:
    """Poll ``check`` until it returns something truthy, and return that.

    After ``timeout`` seconds: fail the test, or with ``fail=False`` return the last (falsy)
    result, for a caller that reports the outcome itself (the reliability drills).
    """
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() <= deadline:
        time.sleep(interval)
    if not result and fail:
        raise AssertionError(f"timed out after {timeout} s waiting for {check}")
    return result


async def eventually(check: Callable[[], Awaitable[Any]], what: str, within: float = 5.0) -> Any:
    """Await ``check()`` every 20 ms until it is truthy (and return it); fail after ``within``
    seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not (result := await check()):
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
    return result
