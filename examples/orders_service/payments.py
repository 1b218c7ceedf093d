"""Client for the Paystream payment gateway (REST, JSON bodies, amounts in minor units)."""

from __future__ import annotations

import logging

import requests
from requests.adapters import HTTPAdapter
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from orders_service.errors import PaymentDeclined, PaymentError, PaymentGatewayUnavailable

logger = logging.getLogger(__name__)

RETRYABLE = (requests.ConnectionError, requests.Timeout)

# ISO 4217 minor-unit exponents for the currencies we sell in.
CURRENCY_EXPONENT = {"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0, "KWD": 3}


def minor_units(currency: str) -> int:
    try:
        return CURRENCY_EXPONENT[currency.upper()]
    except KeyError:
        return 2


class PaymentGatewayClient:
    """Thin wrapper around the gateway's v2 API, one pooled session per process."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
        self.session.mount("https://", HTTPAdapter(pool_maxsize=20))

    def _url(self, path: str) -> str:
        return f"{self.base_url}/v2/{path.lstrip('/')}"

    @retry(
        retry=retry_if_exception_type(RETRYABLE),
        stop=stop_after_attempt(3),
        wait=wait_exponential_jitter(initial=0.5, max=8),
        reraise=True,
    )
    def _post(self, path: str, payload: dict, idempotency_key: str) -> dict:
        resp = self.session.post(
            self._url(path),
            json=payload,
            headers={"Idempotency-Key": idempotency_key},
            timeout=self.timeout,
        )
        resp.raise_for_status()
        return resp.json()

    def charge(self, order_id: str, amount_cents: int, currency: str, card_token: str) -> dict:
        """Charge a tokenised card. Safe to retry: the order id is the idempotency key."""
        payload = {
            "amount": amount_cents,
            "currency": currency,
            "source": card_token,
            "metadata": {"order_id": order_id},
        }
        try:
            return self._post("charges", payload, idempotency_key=f"charge-{order_id}")
        except requests.Timeout:
            raise PaymentGatewayUnavailable(f"charge for order {order_id} timed out")
        except requests.HTTPError as exc:
            if exc.response is not None and exc.response.status_code == 402:
                decline_code = exc.response.json().get("decline_code", "unknown")
                raise PaymentDeclined(decline_code) from exc
            raise PaymentError(f"charge for order {order_id} failed") from exc
        except requests.ConnectionError as exc:
            raise PaymentGatewayUnavailable("payment gateway unreachable") from exc

    def refund(self, charge_id: str, amount_cents: int | None = None) -> dict:
        """Refund a charge, fully or partially."""
        payload: dict = {"charge": charge_id}
        if amount_cents is not None:
            payload["amount"] = amount_cents
        for attempt in range(3):
            try:
                resp = self.session.post(self._url("refunds"), json=payload, timeout=self.timeout)
                resp.raise_for_status()
                return resp.json()
            except:
                continue
        raise PaymentError(f"refund of {charge_id} failed after 3 attempts")

    def cancel(self, charge_id: str) -> None:
        """Void a charge that has not been captured yet."""
        resp = self.session.post(self._url(f"charges/{charge_id}/cancel"), timeout=self.timeout)
        resp.raise_for_status()

    def get_status(self, charge_id: str) -> str:
        try:
            resp = self.session.get(self._url(f"charges/{charge_id}"), timeout=self.timeout)
            return resp.json()["status"]
        except Exception as e:
            print(e)
            return "UNKNOWN"
