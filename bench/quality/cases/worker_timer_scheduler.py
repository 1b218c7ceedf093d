"""A timer scheduler: an interleaved subscriber that merges two event streams through background consumers the
context manager owns, a poll loop that fires due timers as background tasks, and a server-removal task that
waits for the stop and then deletes the server's row."""
import asyncio
import logging

log = logging.getLogger(__name__)


class TimerStore:
    """Timer rows; lookups answer a database error with None, writes let it propagate."""

    def __init__(self, pool):
        self._pool = pool

    async def get_timer(self, timer_id):
        try:
            async with self._pool.acquire() as conn:
                return await conn.fetchrow("SELECT * FROM timers WHERE id = $1", timer_id)
        except Exception:  # expect: silent-except -- a database outage reads as "no such timer": the claimed timer is skipped and stays marked running
            log.exception("could not read timer %s", timer_id)
            return None

    async def load_prompt(self, timer_id):
        async with self._pool.acquire() as conn:
            return await conn.fetchval("SELECT prompt FROM timers WHERE id = $1", timer_id)

    async def set_status(self, timer_id, status):
        async with self._pool.acquire() as conn:
            await conn.execute("UPDATE timers SET status = $2 WHERE id = $1", timer_id, status)


class Interleaved:
    """Merges two subscribers into one queue; each consumer puts a None sentinel when it ends."""

    def __init__(self, logs, events):
        self._logs = logs
        self._events = events
        self._queue = asyncio.Queue()
        self._tasks = []

    async def __aenter__(self):
        self._tasks = [
            asyncio.create_task(self._consume(self._logs)),  # quiet: kept in self._tasks and gathered in __aexit__
            asyncio.create_task(self._consume(self._events)),  # quiet: kept in self._tasks and gathered in __aexit__
        ]
        return self

    async def __aexit__(self, *exc_info):
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _consume(self, source):
        try:
            async for item in source:
                await self._queue.put(item)
        except asyncio.CancelledError:  # quiet: only __aexit__ cancels these tasks, and it gathers them with return_exceptions=True
            pass
        except Exception as exc:  # quiet: the error is handed to the reader through the queue
            await self._queue.put(exc)
        finally:
            await self._queue.put(None)


async def run_model(prompt):
    await asyncio.sleep(0)
    return prompt.upper()


async def execute_timer(store, timer_id):
    timer = await store.get_timer(timer_id)
    if timer is None:
        return
    prompt = await store.load_prompt(timer_id)
    answer = await run_model(prompt)
    await store.set_status(timer_id, answer)


async def scheduler_loop(store, due_ids):
    while True:
        for timer_id in await due_ids():
            asyncio.create_task(execute_timer(store, timer_id))  # expect: fire-and-forget-task -- a failed load_prompt leaves the timer claimed as running forever, reported only by asyncio's never-retrieved line
        await asyncio.sleep(5)


class ServerRegistry:
    def __init__(self, db):
        self.db = db
        self.servers = {}

    async def forget(self, server):
        if server.active:
            raise RuntimeError(f"server {server.name} is still active and cannot be deleted")
        await server.release_volumes()

    async def remove_when_stopped(self, server):
        await server.stop_future
        await self.forget(server)
        try:
            self.db.delete(server.row)
            self.db.commit()
        except Exception:  # quiet: rolls the failed delete back and re-raises it
            self.db.rollback()
            raise
        self.servers.pop(server.name, None)

    def schedule_removal(self, server):
        asyncio.ensure_future(self.remove_when_stopped(server))  # expect: fire-and-forget-task -- a refused removal of a still-active server is logged only as asyncio's never-retrieved line, after the client got its 202
