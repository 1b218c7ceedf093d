"""Configuration from the environment, with secrets read from mounted files in production."""

from __future__ import annotations

import os


def read_secret(name: str, default: str = "") -> str:
    """Secrets are mounted under /run/secrets in production; use the environment in development."""
    try:
        with open(f"/run/secrets/{name}", encoding="utf-8") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        return os.environ.get(name.upper(), default)


DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg2://orders@localhost:5432/orders")
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/1")
GATEWAY_URL = os.environ.get("GATEWAY_URL", "https://api.paystream.example")
GATEWAY_API_KEY = read_secret("gateway_api_key")
GATEWAY_TIMEOUT = float(os.environ.get("GATEWAY_TIMEOUT", "10"))
SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
SMTP_USER = os.environ.get("SMTP_USER", "orders")
SMTP_PASSWORD = read_secret("smtp_password")
SMS_API_URL = os.environ.get("SMS_API_URL", "https://sms.example.net/v1/messages")
SMS_API_KEY = read_secret("sms_api_key")
ORDER_EVENTS_WEBHOOK = os.environ.get("ORDER_EVENTS_WEBHOOK", "https://hooks.example.com/orders")
