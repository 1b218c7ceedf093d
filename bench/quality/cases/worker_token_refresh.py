"""Service-account token refresher of a sync worker: before each batch the worker asks the identity service for
a fresh token; the identity service is restarted on every deploy."""

import asyncio
import logging
import random

import httpx

log = logging.getLogger("worker.tokens")

TOKEN_URL = "https://identity.internal/oauth/token"


class TokenSource:
    def __init__(self, client: httpx.AsyncClient, attempts: int = 4):
        self._client = client
        self._attempts = attempts

    async def fetch(self) -> str:
        # timeouts are retried; a bad URL or a TLS error should fail at once
        for attempt in range(4):  # expect: naive-retry -- only timeouts are retried: while identity restarts on a deploy its refused connect (httpx.ConnectError) fails the batch at once
            try:
                response = await self._client.post(TOKEN_URL, data={"grant_type": "client_credentials"})
                response.raise_for_status()
                return response.json()["access_token"]
            except httpx.TimeoutException:
                if attempt == 3:
                    raise
                await asyncio.sleep(1)
        raise RuntimeError("unreachable")

    async def fetch_patiently(self) -> str:
        for attempt in range(self._attempts):  # quiet: refused connects and timeouts are retried with a growing, jittered delay and a cap
            try:
                response = await self._client.post(TOKEN_URL, data={"grant_type": "client_credentials"})
                response.raise_for_status()
                return response.json()["access_token"]
            except (httpx.ConnectError, httpx.TimeoutException):
                if attempt == self._attempts - 1:
                    raise
                await asyncio.sleep(min(2 ** attempt, 20) * random.uniform(0.5, 1.5))
        raise RuntimeError("unreachable")
