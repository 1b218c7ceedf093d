"""RabbitMQ consumer that sends order notifications by e-mail, SMS and mobile push.

Every queue is declared with a dead-letter exchange, so ``basic_nack(requeue=False)`` parks a message on
``notifications.dead`` for the on-call engineer to replay.
"""
from __future__ import annotations

import json
import logging
import smtplib
import time
from email.message import EmailMessage

import pika
import requests
from pika.exceptions import AMQPConnectionError

logger = logging.getLogger(__name__)

AMQP_URL = "amqp://notify:notify@rabbitmq:5672/%2F"
SMTP_HOST = "smtp.internal"
SENDER = "orders@acme.example"
SMS_URL = "https://sms.internal/v1/messages"
PUSH_URL = "https://push.internal/v2/notify"
TEMPLATES_URL = "https://templates.internal/v1/templates"


class TemplateMissing(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"notification template {name!r} does not exist")
        self.name = name


def fetch_template(name: str) -> dict:
    resp = requests.get(f"{TEMPLATES_URL}/{name}", timeout=5)  # quiet: a timeout is set and the caller handles every error
    if resp.status_code == 404:
        raise TemplateMissing(name)
    return resp.json()  # expect: unchecked-http-status -- only 404 is checked: a 502 from the template service's proxy is parsed as a template, and the e-mail goes out with a KeyError or the proxy's HTML as its text


def send_email(to: str, subject: str, text: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = SENDER, to, subject
    msg.set_content(text)
    with smtplib.SMTP(SMTP_HOST, 587) as smtp:  # expect: missing-timeout -- no timeout: an SMTP relay that accepts the TCP connection and never sends its greeting blocks the consumer's only thread: every other notification waits behind it, and the missed AMQP heartbeats make the broker drop the connection
        smtp.starttls()
        smtp.send_message(msg)


def send_sms(phone: str, text: str) -> None:
    resp = requests.post(SMS_URL, json={"to": phone, "text": text}, timeout=(3, 10))  # quiet: connect and read timeouts are set; the caller catches every error
    resp.raise_for_status()


def on_email(channel, method, properties, body: bytes) -> None:
    try:
        event = json.loads(body)
        template = fetch_template(event["template"])  # quiet: every error is handled below
        send_email(event["email"], template["subject"], template["body"].format(**event["vars"]))
    except TemplateMissing as exc:  # quiet: an event whose template does not exist can never succeed: dead-lettered
        logger.warning("dead-lettering notification %s: %s", properties.message_id, exc, exc_info=True)
        channel.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        return
    except Exception as exc:  # quiet: not swallowed: the message is dead-lettered
        logger.error(exc)  # expect: lost-traceback-log -- the exception is the whole log line: a bare "'email'" or "timed out" with no traceback, no message id and no hint whether the template fetch, the formatting or SMTP failed
        channel.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        return
    channel.basic_ack(delivery_tag=method.delivery_tag)


def on_sms(channel, method, properties, body: bytes) -> None:
    try:
        event = json.loads(body)
        send_sms(event["phone"], event["text"])  # quiet: caught below (that handler is the defect)
    except Exception:  # expect: silent-except -- logs and falls through to basic_ack: a failed SMS (SMS gateway down, 429) is acknowledged and gone, the customer never gets the delivery code
        logger.exception("sms notification %s failed", properties.message_id)  # quiet: the swallow is reported once, on the except line
    channel.basic_ack(delivery_tag=method.delivery_tag)


def on_push(channel, method, properties, body: bytes) -> None:
    try:
        event = json.loads(body)
        resp = requests.post(PUSH_URL, json={"device": event["device_token"], "alert": event["alert"]}, timeout=5)  # quiet: a timeout is set and every error is handled below
        resp.raise_for_status()
    except:  # expect: bare-except -- also catches KeyboardInterrupt: a Ctrl-C during a push delivery nacks one message and the consumer keeps running instead of shutting down
        logger.exception("push notification %s failed; dead-lettering", properties.message_id)
        channel.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        return
    channel.basic_ack(delivery_tag=method.delivery_tag)


def consume() -> None:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))  # quiet: AMQPConnectionError is handled by main()'s reconnect loop
    channel = connection.channel()  # quiet: connection failures here are AMQPConnectionError, handled by main()'s reconnect loop
    channel.basic_qos(prefetch_count=20)
    channel.basic_consume("notifications.email", on_email)
    channel.basic_consume("notifications.sms", on_sms)
    channel.basic_consume("notifications.push", on_push)
    try:
        channel.start_consuming()
    finally:
        if connection.is_open:
            connection.close()


def main() -> None:
    while True:  # expect: naive-retry -- reconnects forever at a constant 5 s: during a RabbitMQ outage every consumer replica hammers the broker in lock-step and nothing ever gives up or alerts
        try:
            consume()  # quiet: AMQPConnectionError from the connection is handled right below, and the callbacks handle their own errors
        except AMQPConnectionError:  # quiet: the handler of a retry loop that retries; its pacing is reported on the loop line
            logger.warning("rabbitmq connection lost; reconnecting in 5 s", exc_info=True)
            time.sleep(5)
        except KeyboardInterrupt:  # quiet: clean shutdown at the entry point
            logger.info("notification consumer stopped")
            break


if __name__ == "__main__":
    main()  # quiet: nothing new to report at the entry point; each failure is reported where it arises
