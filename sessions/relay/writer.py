"""The relay's batch writer: one thread and one database connection that store log records
as fast as the database takes them, then hand each stored batch back to the event loop.

When the database is idle a frame is stored at once; when it is busy the queue grows and the
next write takes everything queued (and frames of its sessions that arrive before it commits).
Only after a batch is committed are replies sent and viewers sent it.

On SQLite a few records are stored on the loop itself instead, when the thread has nothing
of ours unstored (``inline_store``): a thread hand-over costs an embedded relay more there
than the write. On PostgreSQL every batch is written from the loop, through psycopg's asyncio
connection (``loop_pg``), for the same reason; the thread then only runs submitted jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from core import metrics
from sessions.relay.inline_store import InlineSqlite, storable_inline
from sessions.relay.loop_pg import LoopPostgres
from sessions.relay.store import MAX_BATCH, Record, run_db, store_batch

logger = logging.getLogger("switchboard.relay")

# Payload bytes waiting to be stored; beyond this, upstream readers pause until the writer
# catches up (so a slow database slows the upstream down instead of filling memory).
MAX_PENDING_BYTES = 64 * 1024 * 1024


def _cost(record: Record) -> int:
    return len(record.text or "") + len(record.data or b"")


class _WriterThread(Executor):
    """The writer's one thread, and so its one database connection: it stores batches of
    records and runs submitted jobs (like an executor) in the order they were queued.

    A daemon thread, so a relay that was never stopped cannot keep the interpreter alive.
    """

    def __init__(
        self,
        write: Callable[[list[Record], Callable[[set[int], int], list[Record]]], None],
    ) -> None:
        self._write = write
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._carry: Any = None  # taken from the inbox, not handled yet (thread only)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="relay-writer", daemon=True
                )
                self._thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.start()
        self.inbox.put((future, functools.partial(fn, *args, **kwargs)))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inbox.put(_STOP)
        thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    def _next(self, block: bool) -> Any:
        item, self._carry = self._carry, None
        if item is not None:
            return item
        if block:
            return self.inbox.get()
        try:
            return self.inbox.get_nowait()
        except queue.Empty:
            return None

    def _serve(self) -> None:
        while True:
            item = self._next(block=True)
            if item is _STOP:
                return
            if not isinstance(item, Record):
                future, job = item
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(job())
                    except BaseException as exc:
                        future.set_exception(exc)
                continue
            # Everything queued while the previous batch was written goes into this one.
            batch = [item]
            while len(batch) < MAX_BATCH:
                item = self._next(block=False)
                if item is None:
                    break
                if not isinstance(item, Record):
                    self._carry = item
                    break
                batch.append(item)
            try:
                self._write(batch, self._more)
            except _LoopClosed:
                return

    def _more(self, session_ids: set[int], room: int) -> list[Record]:
        """Up to ``room`` records of ``session_ids`` queued since, in order, stopping at the
        first other item (it starts the next batch)."""
        taken: list[Record] = []
        while len(taken) < room:
            item = self._next(block=False)
            if item is None:
                break
            if not isinstance(item, Record) or item.session_id not in session_ids:
                self._carry = item
                break
            taken.append(item)
        return taken


class _LoopClosed(Exception):
    """The relay's event loop is gone; nobody is left to hand stored batches to."""


_STOP = object()


class Writer:
    """Stores records in batches on its own thread and connection, then hands them back.

    The thread takes whatever was queued as soon as the previous write committed, while the
    loop publishes that previous batch: a write never waits for the loop to come round.
    """

    def __init__(
        self,
        *,
        relay_pk: Callable[[], int],
        after_store: Callable[[list[Record], set[int]], Any],
        max_pending: int,
        inline: InlineSqlite | None = None,
        on_loop: LoopPostgres | None = None,
    ) -> None:
        self._relay_pk = relay_pk
        self._after_store = after_store
        self.max_pending = max_pending
        self.executor = _WriterThread(self._write)
        self.stopping = False
        self.queued = 0  # records put and not stored yet
        self.pending_bytes = 0
        self.unfinished = 0  # records put and not through after_store yet
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stored: asyncio.Queue[tuple[list[Record], set[int], bool]] | None = None
        # The loop's own SQLite connection (None: every batch goes to the thread), the records
        # waiting for the loop to come round to them, and how many records the thread holds.
        self.inline = inline
        self._held: list[Record] = []
        self._threaded = 0
        # The loop's own PostgreSQL connection: records are held for the task that writes
        # them (``_serve_on_loop``), woken by ``_wake``.
        self.on_loop = on_loop
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    @property
    def busy(self) -> bool:
        return self.unfinished > 0

    async def put(self, record: Record) -> None:
        """Queue ``record``, then wait (so the upstream reader pauses) while the writer is
        behind. Queued before any wait: records are queued in the order they were numbered,
        whoever queues them (a control frame is queued from a protocol callback meanwhile)."""
        self.put_nowait(record)
        await self.room()

    async def room(self) -> None:
        """Wait while the writer is behind (returns at once when it is not)."""
        while self.queued > self.max_pending or self.pending_bytes > MAX_PENDING_BYTES:
            self._room.clear()
            await self._room.wait()

    def put_nowait(self, record: Record) -> None:
        """Queue ``record`` without waiting (a protocol callback cannot); the next ``put``
        waits if the writer is behind."""
        self.queued += 1
        self.unfinished += 1
        self.pending_bytes += _cost(record)
        loop = self._loop
        if self.on_loop is not None and loop is not None and self._threaded == 0:
            self._held.append(record)
            self._wake.set()
            return
        if self.inline is not None and loop is not None and self._threaded == 0:
            # Stored when the loop comes round (after the caller's write to the upstream),
            # with whatever else was queued until then.
            if not self._held:
                loop.call_soon(self._store_held)
            self._held.append(record)
            return
        self._threaded += 1
        self.executor.inbox.put(record)

    def _store_held(self) -> None:
        """On the loop: store the held records here if they are few and the database's write
        lock is free, else hand them to the thread (in order: nothing else is queued there)."""
        held, self._held = self._held, []
        stored = self._stored
        if self.inline is not None and stored is not None and storable_inline(held):
            started = time.perf_counter()
            try:
                fenced = self.inline.write(self._relay_pk(), held)
            except Exception as exc:
                # Locked by a request, or anything else: the thread waits and retries.
                logger.debug("Inline store of %d records declined: %r", len(held), exc)
            else:
                metrics.WRITER_COMMIT.observe(time.perf_counter() - started)
                stored.put_nowait((held, fenced, False))
                return
        self._threaded += len(held)
        for record in held:
            self.executor.inbox.put(record)

    def _write(self, batch: list[Record], more: Callable[[set[int], int], list[Record]]) -> None:
        """On the writer thread: store ``batch`` and what ``more`` adds to it (retrying while
        the database is down), then hand it back to the loop."""
        delay = 0.2
        while True:
            try:
                started = time.perf_counter()
                fenced = run_db(store_batch, self._relay_pk(), batch, more)
                metrics.WRITER_COMMIT.observe(time.perf_counter() - started)
                break
            except Exception:
                # Kept and tried again, never dropped: while it fails, the queue fills and
                # the upstream readers pause.
                logger.exception("Storing %d log entries failed; retrying", len(batch))
                if self.stopping and delay > 2:
                    fenced = {r.session_id for r in batch}
                    break
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        loop, stored = self._loop, self._stored
        if loop is None or stored is None:
            raise _LoopClosed
        try:
            loop.call_soon_threadsafe(stored.put_nowait, (batch, fenced, True))
        except RuntimeError:
            raise _LoopClosed from None

    async def run(self) -> None:
        """Start the writer thread, then pass each stored batch, in order, to ``after_store``."""
        self._loop = asyncio.get_running_loop()
        self._stored = stored = asyncio.Queue[tuple[list[Record], set[int], bool]]()
        self.executor.start()
        serving = None
        if self.on_loop is not None:
            serving = self._loop.create_task(self._serve_on_loop(self.on_loop, stored))
        try:
            while True:
                batch, fenced, threaded = await stored.get()
                if threaded:
                    self._threaded -= len(batch)
                self.queued -= len(batch)
                self.pending_bytes -= sum(_cost(r) for r in batch)
                if self.pending_bytes <= MAX_PENDING_BYTES and self.queued <= self.max_pending:
                    self._room.set()
                try:
                    await self._after_store(batch, fenced)
                except Exception:
                    logger.exception("Publishing a stored batch failed")
                finally:
                    self.unfinished -= len(batch)
        finally:
            if serving is not None:
                serving.cancel()

    async def _serve_on_loop(
        self, store: LoopPostgres, stored: asyncio.Queue[tuple[list[Record], set[int], bool]]
    ) -> None:
        """Write the held records, a batch at a time, from the loop (retrying while the
        database is down, as the thread does); records of its sessions held meanwhile join
        the batch before it commits."""
        while True:
            while not self._held:
                self._wake.clear()
                await self._wake.wait()
            batch, self._held = self._held[:MAX_BATCH], self._held[MAX_BATCH:]
            delay = 0.2
            while True:
                started = time.perf_counter()
                try:
                    fenced = await store.write(
                        self._relay_pk(), batch, self._more_held, self._held_soon
                    )
                except Exception:
                    logger.exception("Storing %d log entries failed; retrying", len(batch))
                    if self.stopping and delay > 2:
                        fenced = {r.session_id for r in batch}
                        break
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                else:
                    metrics.WRITER_COMMIT.observe(time.perf_counter() - started)
                    break
            stored.put_nowait((batch, fenced, False))

    async def _held_soon(self, timeout: float) -> None:
        """Return once a record is held (at once if one is), or after ``timeout``."""
        if self._held:
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    def _more_held(self, session_ids: set[int], room: int) -> list[Record]:
        """Up to ``room`` held records of ``session_ids``, in order, stopping at the first
        other (it starts the next batch)."""
        taken = 0
        for record in self._held:
            if taken == room or record.session_id not in session_ids:
                break
            taken += 1
        more, self._held = self._held[:taken], self._held[taken:]
        return more

    async def drain(self, timeout: float) -> None:
        """Wait until everything queued so far is stored (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        while self.unfinished and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
