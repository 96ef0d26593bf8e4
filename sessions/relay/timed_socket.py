"""An upstream socket that knows when the kernel received what it reads (``SO_TIMESTAMPNS``),
so a received frame is timed at its arrival even when the relay's event loop, busy with
another session's flood or waiting for the CPU, reads it milliseconds later."""

from __future__ import annotations

import socket
import struct
import sys
from typing import Any

# Python's socket module does not name it: 35 in Linux's generic socket options (x86, ARM),
# and the control message carrying the time has the same number. Elsewhere reads are timed
# by the event loop instead (a plain socket).
SO_TIMESTAMPNS: int | None = getattr(
    socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else None
)
_TIMESPEC = struct.Struct("@ll")  # struct timespec: time_t seconds, long nanoseconds
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size)


class TimedSocket(socket.socket):
    """A TCP socket whose reads also take the kernel's receive time of the data read
    (``read_at``, POSIX seconds; 0 when the read brought none). asyncio's transports read with
    ``recv`` (plain) or ``recv_into`` (TLS); both go through ``recvmsg`` here.

    Linux starts stamping packets a moment after the first socket of the machine asks for it
    (it turns the stamping on from a work queue): data that arrives before then has no time,
    and the reader falls back to the loop's (``control.ObservedConnection``)."""

    read_at = 0.0

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data, ancillary, _, _ = self.recvmsg(bufsize, _ANCILLARY, flags)
        self._stamp(ancillary)
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer)
        if nbytes:
            view = view[:nbytes]
        size, ancillary, _, _ = self.recvmsg_into([view], _ANCILLARY, flags)
        self._stamp(ancillary)
        return size

    def _stamp(self, ancillary: list[tuple[int, int, bytes]]) -> None:
        self.read_at = 0.0  # never an earlier read's time
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = _TIMESPEC.unpack_from(payload)
                self.read_at = seconds + nanoseconds / 1e9


def timed_socket(family: int) -> socket.socket:
    """A non-blocking TCP socket for ``family``, timed by the kernel where it can be. Named
    IPPROTO_TCP, as asyncio's own are: its transport then turns Nagle's algorithm off."""
    sock: socket.socket
    if SO_TIMESTAMPNS is None:
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    else:
        sock = TimedSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            sock.close()
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setblocking(False)
    return sock
