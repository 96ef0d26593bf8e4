"""An upstream WebSocket server in a process of its own, so a test can SIGKILL it mid-stream.

It prints its port, then sends ``frame-0``, ``frame-1``, ... to every client until killed.
"""

import asyncio

from websockets.asyncio.server import ServerConnection, serve


async def stream(connection: ServerConnection) -> None:
    index = 0
    while True:
        await connection.send(f"frame-{index}")
        index += 1
        if index % 10 == 0:
            await asyncio.sleep(0.005)


async def main() -> None:
    async with serve(stream, "127.0.0.1", 0, compression=None, ping_interval=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main())
