"""The relay inside the web server process (embedded mode, no REDIS_URL).

It starts on the server's event loop the first time a session connects (or a viewer comes),
shares the in-memory channel layer with the web code, and closes its upstreams with 1001
when Daphne shuts down.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from sessions.relay.server import Relay

logger = logging.getLogger("switchboard.relay")

_relay: Relay | None = None
_starting: dict[asyncio.AbstractEventLoop, asyncio.Future[Relay]] = {}


def running_relay_pk() -> int | None:
    """The registry id of this process's relay, if it is running."""
    relay = _relay
    return relay.pk if relay is not None and not relay.stopping else None


async def ensure_started() -> Relay:
    """The process's relay, started on the running loop if it is not running there yet."""
    global _relay
    loop = asyncio.get_running_loop()
    relay = _relay
    if relay is not None and relay.loop is loop and not relay.stopping:
        return relay
    pending = _starting.get(loop)
    if pending is not None:
        return await asyncio.shield(pending)
    future: asyncio.Future[Relay] = loop.create_future()
    _starting[loop] = future
    try:
        relay = Relay(mode="embedded")
        await relay.start()
        _relay = relay
        _stop_with_server(relay, loop)
        future.set_result(relay)
        return relay
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved, so an unawaited failure is not logged twice
        raise
    finally:
        _starting.pop(loop, None)


def _stop_with_server(relay: Relay, loop: asyncio.AbstractEventLoop) -> None:
    """Under Daphne (Twisted on asyncio), delay the reactor's shutdown until the relay stopped."""
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or not getattr(reactor, "running", False):
        logger.warning(
            "The embedded relay runs outside Daphne; upstream connections end with this loop."
        )
        return
    from twisted.internet.defer import Deferred

    def stop() -> Deferred[None]:
        return Deferred.fromFuture(asyncio.ensure_future(relay.shutdown(), loop=loop))

    reactor.addSystemEventTrigger("before", "shutdown", stop)
