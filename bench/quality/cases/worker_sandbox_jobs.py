"""Sandbox job runner behind the notebook service.

A job runs in a container; the worker streams its output, and on a non-zero exit it adds the container's
standard error to the failure report (``read_stderr()`` is called on failure only, for that diagnostic text). A
warehouse query is polled for progress while it runs, then its rows are fetched (the fetch raises the query's
own error). The job's tool description carries two optional extras from the helper server, the working
directory and a system prompt; both are hints and the job runs without them.
"""
import logging
import time

import aiohttp
import requests

logger = logging.getLogger(__name__)

HELPER_TIMEOUT = aiohttp.ClientTimeout(total=5)


class JobFailed(Exception):
    def __init__(self, code: int, details: bytes):
        super().__init__(f"job exited with {code}: {details[-2000:].decode(errors='replace')}")
        self.code = code


class ContainerRun:
    def __init__(self, container):
        self._container = container

    def wait(self) -> int:
        return self._container.wait(timeout=600)["StatusCode"]

    def read_stderr(self) -> bytes:
        try:
            return self._container.logs(stdout=False, stderr=True)
        except Exception:  # quiet: read on failure only, to word the report; a log-read error must not replace the job's own failure
            return b""

    def read_stdout(self) -> bytes:
        try:
            return self._container.logs(stdout=True, stderr=False)
        except Exception:  # expect: silent-except -- the job's output is its result: a log-read error is returned as an empty result and the caller stores an empty output as a success
            return b""


def run_job(run: ContainerRun) -> bytes:
    code = run.wait()
    if code != 0:
        raise JobFailed(code, run.read_stderr())
    return run.read_stdout()


def poll_query(cursor, job) -> None:
    try:
        state = cursor.poll_state()
        while state in ("QUEUED", "RUNNING"):
            job.progress = cursor.progress()
            job.save(update_fields=["progress"])
            time.sleep(2)
            state = cursor.poll_state()
    except Exception:  # expect: silent-except -- the catch also covers time.sleep(), so the task's soft time limit raised there is swallowed and the query runs on past it; the debug line keeps no traceback
        logger.debug("progress poll failed")
        return


def run_query(cursor, job, sql: str):
    cursor.execute(sql)
    poll_query(cursor, job)
    return cursor.fetchall()


async def terminal_cwd(base_url: str, token: str) -> str | None:
    """The helper server's working directory, for the tool description."""
    try:
        async with aiohttp.ClientSession(timeout=HELPER_TIMEOUT) as session:
            async with session.get(f"{base_url}/cwd", headers={"Authorization": f"Bearer {token}"}) as resp:
                if resp.status == 200:
                    data = await resp.json()
                    return data.get("cwd")
    except Exception as e:  # quiet: an optional hint; None is already the answer for a non-200 reply and the caller falls back to no hint
        logger.debug("cwd lookup failed: %s", e)
    return None


async def terminal_prompt(base_url: str, token: str) -> str | None:
    """The helper server's system prompt. Returns *None* silently when the server does not offer one."""
    try:
        async with aiohttp.ClientSession(timeout=HELPER_TIMEOUT) as session:
            async with session.get(f"{base_url}/prompt", headers={"Authorization": f"Bearer {token}"}) as resp:
                if resp.status != 200:
                    return None
                data = await resp.json()
                return data.get("prompt")
    except Exception as e:  # quiet: documented to answer None silently; the caller uses the cached prompt instead
        logger.debug("prompt lookup failed: %s", e)
    return None


async def tool_description(base_url: str, token: str, cached_prompt: str) -> str:
    cwd = await terminal_cwd(base_url, token)
    prompt = await terminal_prompt(base_url, token) or cached_prompt
    return f"{prompt}\n(cwd: {cwd})" if cwd else prompt


def helper_call(method: str, url: str, token: str):
    r = requests.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    try:
        return r.json()
    except ValueError:  # quiet: the status was checked above; the delete endpoint answers 200 with an empty body and its caller ignores the answer
        return None


def delete_workspace(url: str, token: str) -> bool:
    helper_call("DELETE", url, token)
    return True


def workspace_files(url: str, token: str):
    return helper_call("GET", url, token) or []
