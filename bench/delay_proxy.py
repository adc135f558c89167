#!/usr/bin/env python3
"""delay_proxy.py: TCP latency for simulated hosts when the kernel has no
netem (bench/netns_scaling.sh).

    delay_proxy.py --delay-ms D --addr A --ports P,Q,... NETNS...

For each network namespace NETNS (a name under /run/netns) and each port P
it listens on A:P inside that namespace (A must be a local address there,
e.g. on its lo) and forwards each connection to A:P in the namespace the
proxy was started in, where the server listens. Every chunk read from
either side is written to the other D ms after it was read (order kept),
so each request/response round trip costs 2 D like a link with D ms each
way; bandwidth is not limited. Ends on SIGTERM. Linux only, root: setns(2).
"""
import argparse
import asyncio
import ctypes
import os
import signal
import socket

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


def listeners(names, addr, ports):
    """Listening sockets inside each namespace; back in our own after."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    socks = []
    try:
        for name in names:
            fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
            try:
                setns(fd)
                for port in ports:
                    s = socket.socket()
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((addr, port))
                    s.listen(128)
                    s.setblocking(False)
                    socks.append((s, port))
            finally:
                setns(own)
                os.close(fd)
    finally:
        os.close(own)
    return socks


async def pump(reader, writer, delay):
    """Copy reader to writer, each chunk delay seconds after it was read."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def out():
        while True:
            t, data = await queue.get()
            wait = t + delay - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    task = asyncio.create_task(out())
    try:
        while True:
            data = await reader.read(1 << 16)
            queue.put_nowait((loop.time(), data))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()


async def serve(sock, addr, port, delay):
    async def handle(cr, cw):
        for s in (cw.get_extra_info("socket"),):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sr, sw = await asyncio.open_connection(addr, port)
        except OSError:
            cw.close()
            return
        sw.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pump(cr, sw, delay), pump(sr, cw, delay),
                             return_exceptions=True)
        cw.close()
        sw.close()

    server = await asyncio.start_server(handle, sock=sock)
    await server.serve_forever()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--addr", required=True)
    ap.add_argument("--ports", required=True)
    ap.add_argument("netns", nargs="+")
    a = ap.parse_args()
    ports = [int(p) for p in a.ports.split(",")]
    socks = listeners(a.netns, a.addr, ports)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    tasks = [asyncio.create_task(serve(s, a.addr, p, a.delay_ms / 1000))
             for s, p in socks]
    print("ready", flush=True)
    await stop.wait()
    for t in tasks:
        t.cancel()


if __name__ == "__main__":
    asyncio.run(main())
