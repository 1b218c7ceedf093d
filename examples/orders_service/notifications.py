"""Customer notifications: receipt emails over SMTP, SMS through the provider's HTTP API."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import requests

from orders_service import settings
from orders_service.context import current_correlation_id
from orders_service.errors import NotificationError

logger = logging.getLogger(__name__)


def send_receipt_email(to: str, order_id: str, amount_cents: int, currency: str) -> None:
    msg = EmailMessage()
    msg["From"] = "Orders <orders@shop.example>"
    msg["To"] = to
    msg["Subject"] = f"Your order {order_id}"
    msg.set_content(f"Thanks for your order. We charged {amount_cents / 100:.2f} {currency}.")

    smtp = smtplib.SMTP(settings.SMTP_HOST, settings.SMTP_PORT, timeout=10)
    try:
        smtp.starttls()
        smtp.login(settings.SMTP_USER, settings.SMTP_PASSWORD)
        smtp.send_message(msg)
    except smtplib.SMTPException:
        logger.exception(
            "receipt email failed",
            extra={"correlation_id": current_correlation_id(), "order_id": order_id},
        )
        raise
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            pass


def send_sms(phone: str, text: str) -> str | None:
    """Send a text message; returns the provider's message id."""
    try:
        resp = requests.post(
            settings.SMS_API_URL,
            json={"to": phone, "text": text},
            headers={"Authorization": f"Token {settings.SMS_API_KEY}"},
        )
        return resp.json()["message_id"]
    except requests.RequestException:
        pass


def publish_order_event(event_type: str, payload: dict) -> None:
    """Tell downstream systems (fulfilment, analytics) about an order change."""
    body = {"type": event_type, "correlation_id": current_correlation_id(), "data": payload}
    try:
        resp = requests.post(settings.ORDER_EVENTS_WEBHOOK, json=body, timeout=5)
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise NotificationError(f"could not publish {event_type}") from exc
