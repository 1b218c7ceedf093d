"""The e2e steps of a typed syntax error and of the three-state hover (client-vscode/e2e/ui_check.mjs)."""
import requests


class FeeError(Exception):
    pass


def fetch_quote(currency):
    try:
        return requests.get("https://fx.example/" + currency, timeout=5).json()
    except requests.Timeout:
        raise
    except requests.ConnectionError:
        pass


def fee_for(fees, currency):
    try:
        return fees[currency]
    except KeyError:
        raise FeeError("no fee for " + currency)
