"""A stress backend: `backend.py HOST PORT NAME` answers every line it reads with `NAME <line>`.

It never closes a connection itself (the client or the proxy does), so a stalled client shows whether
the proxy's idle timeout closes it.
"""

import asyncio
import resource
import sys


async def serve(host, port, name):
    prefix = name.encode() + b" "

    async def answer(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(prefix + line if line.endswith(b"\n") else prefix + line + b"\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, host, port, backlog=4096, reuse_address=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
