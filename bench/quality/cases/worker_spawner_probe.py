"""Single-user server spawner of a notebook hub: after a spawn the hub polls the new server's port on its event
loop until it accepts connections, and the admin API checks whether a named server is still listening."""

import asyncio
import errno
import logging
import random
import socket

log = logging.getLogger("hub.spawner")


def port_accepts(ip: str, port: int) -> bool:
    """True once something listens on ip:port."""
    try:
        socket.create_connection((ip, port)).close()  # expect: missing-timeout -- a blackholed IP blocks the hub's event loop for the OS connect timeout (about 2 minutes), every other request waits
    except OSError as exc:
        if exc.errno not in {errno.ECONNREFUSED, errno.ETIMEDOUT}:
            log.error("unexpected error connecting to %s:%i", ip, port, exc_info=True)
        return False
    return True


def port_accepts_bounded(ip: str, port: int) -> bool:
    try:
        socket.create_connection((ip, port), timeout=1).close()  # quiet: a one-second connect bound
    except OSError:
        return False
    return True


async def backoff_until(check, fail_message: str, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.1
    while loop.time() < deadline:
        if check():
            return
        delay = min(delay * 2, 1.0)
        await asyncio.sleep(random.uniform(0, delay))
    raise asyncio.TimeoutError(fail_message)


async def wait_for_server(ip: str, port: int, timeout: float = 10) -> None:
    await backoff_until(lambda: port_accepts(ip, port), f"server at {ip}:{port} did not start in {timeout} s", timeout)


async def still_listening(ip: str, port: int) -> bool:
    return await asyncio.to_thread(port_accepts_bounded, ip, port)
