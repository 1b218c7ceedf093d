"""A service module made of classes, for the incremental-analysis tests (edits land inside methods)."""

import asyncio
import logging
import time

import requests
from flask import Flask

log = logging.getLogger(__name__)
app = Flask(__name__)


class InventoryError(Exception):
    pass


class InventoryClient:
    """Talks to the inventory service; the session is made in __init__ and used everywhere else."""

    base_url = "https://inventory.example"
    retries = 3

    def __init__(self, token: str) -> None:
        self.session = requests.Session()
        self.token = token

    def reserve(self, sku: str, quantity: int) -> dict:
        response = self.session.post(f"{self.base_url}/reserve", json={"sku": sku, "quantity": quantity})
        return response.json()

    def release(self, sku: str) -> None:
        try:
            self.session.post(f"{self.base_url}/release", json={"sku": sku}, timeout=5).raise_for_status()
        except Exception:
            pass

    def stock(self, sku: str) -> int:
        for attempt in range(self.retries):
            try:
                response = self.session.get(f"{self.base_url}/stock/{sku}", timeout=5)
                response.raise_for_status()
                return response.json()["stock"]
            except requests.RequestException:
                time.sleep(1)
        raise InventoryError(sku)

    def audit(self, sku: str) -> None:
        try:
            self.stock(sku)
        except InventoryError as exc:
            log.error("audit failed: %s", exc)

    @staticmethod
    def parse(payload: dict) -> int:
        try:
            return int(payload["stock"])
        except (KeyError, ValueError):
            return 0

    class Config:
        timeout = None

        def load(self) -> dict:
            return requests.get("https://config.example/inventory").json()


class Notifier:
    def __init__(self) -> None:
        self.tasks: set = set()

    async def send(self, message: str) -> None:
        await asyncio.sleep(0)
        log.info("sent %s", message)

    async def broadcast(self, messages: list[str]) -> None:
        for message in messages:
            asyncio.create_task(self.send(message))
        self.send("done")

    async def flush(self) -> None:
        try:
            await asyncio.wait_for(self.send("flush"), timeout=1)
        except asyncio.CancelledError:
            return None


@app.post("/reserve/<sku>")
def reserve(sku: str):
    client = InventoryClient("token")
    return client.reserve(sku, 1)


def main() -> None:
    print(InventoryClient("token").stock("abc"))


if __name__ == "__main__":
    main()
