"""Session storage and the web search behind the assistant: Redis clients, a search API with its 429 retry, and
the loader that extracts a batch of pages through a remote service."""
from __future__ import annotations

import logging
import time

import redis
import requests

logger = logging.getLogger(__name__)

SEARCH_URL = "https://search.example/v1/query"
EXTRACT_URL = "https://extract.example/v1/pages"

sessions = redis.Redis(host="cache", port=6379, db=0)  # quiet: the project requires redis>=8, whose clients default to a 5 s socket timeout
events = redis.from_url("redis://cache:6379/1")  # quiet: the same floor: redis-py 8's default bounds every command


def search(query: str, api_key: str) -> list[dict]:
    headers = {"Authorization": f"Bearer {api_key}"}
    params = {"q": query, "count": 10}
    response = requests.get(SEARCH_URL, headers=headers, params=params)  # expect: missing-timeout -- a stalled search API holds the worker thread, and the 429 retry below repeats the same unbounded request (one problem, one finding)
    if response.status_code == 429:
        time.sleep(1)
        response = requests.get(SEARCH_URL, headers=headers, params=params)  # quiet: the same request as its own 429 retry, named in the first call's finding
    response.raise_for_status()
    return response.json().get("results", [])


class PageLoader:
    """Fetches a batch of pages and their extracted text through the remote extraction service."""

    def __init__(self, urls: list[str], api_key: str) -> None:
        self.urls = urls
        self.api_key = api_key

    def lazy_load(self):
        for start in range(0, len(self.urls), 20):
            batch = self.urls[start : start + 20]
            response = requests.post(EXTRACT_URL, json={"urls": batch}, headers={"Authorization": f"Bearer {self.api_key}"})  # expect: missing-timeout -- a stalled extraction service hangs the load; a batch of twenty pages needs the generous bound, not a search's
            response.raise_for_status()
            yield from response.json()["results"]  # quiet: the status is checked first
