"""A chat server's terminal-tool helpers: optional per-request lookups, a proxy call to a model server, and a
sandbox process whose error output is read when the job fails."""

import logging

import aiohttp

log = logging.getLogger(__name__)


async def get_terminal_cwd(base_url: str, headers: dict) -> str | None:
    """Fetch the current working directory from a terminal server."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.get(f"{base_url}/files/cwd", headers=headers) as resp:
                if resp.status == 200:
                    data = await resp.json()
                    return data.get("cwd")
    except Exception as e:  # quiet: an optional hint; a non-200 answer already gives the same None, and the caller leaves the hint out
        log.debug("Failed to fetch terminal CWD: %s", e)
    return None


async def get_terminal_quota(base_url: str, headers: dict) -> int | None:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.get(f"{base_url}/quota", headers=headers) as resp:
                resp.raise_for_status()
                data = await resp.json()
                return data["remaining"]
    except Exception:  # expect: silent-except -- no status branch answers None: a refused connection reads as "no quota known" and the limit is not enforced
        return None


async def send_request(session, method: str, url: str):
    r = await session.request(method, url)
    if not r.ok:
        raise RuntimeError(f"model server answered {r.status}")
    try:
        return await r.json()
    except Exception:  # quiet: the status was checked; copy and delete answer 200 with no body and their callers ignore the answer
        return None


async def delete_model(session, url: str) -> bool:
    await send_request(session, "DELETE", url)
    return True


async def list_models(session, url: str):
    return await send_request(session, "GET", url)


class SandboxProcess:
    """A running sandbox. Callers call ``wait()`` for the exit code and ``read_stderr()`` on failure."""

    def __init__(self, container):
        self._container = container

    def read_stderr(self) -> bytes:
        try:
            return self._container.logs(stdout=False, stderr=True)
        except Exception:  # quiet: read only to word the report of a failure already being reported
            return b""


async def terminal_tools(base_url, headers, box):
    cwd = await get_terminal_cwd(base_url, headers)
    quota = await get_terminal_quota(base_url, headers)
    if box.wait():
        log.error("sandbox failed: %s", box.read_stderr())
    return {"cwd": cwd or "", "quota": quota}
