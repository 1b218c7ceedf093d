"""SQS worker that renders video thumbnails: download from S3, run ffmpeg, upload, announce, delete the message.

The queue has a redrive policy (maxReceiveCount=5) onto the thumbnail DLQ, so a message that is not
deleted comes back after its visibility timeout and ends up on the DLQ after five failed receives.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import threading

import boto3
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

QUEUE_URL = os.environ["THUMBNAIL_QUEUE_URL"]
DLQ_URL = os.environ["THUMBNAIL_DLQ_URL"]
READY_TOPIC_ARN = os.environ["THUMBNAIL_READY_TOPIC_ARN"]
MEDIA_BUCKET = "acme-media"
WORKERS = 4

sqs = boto3.client("sqs")
s3 = boto3.client("s3")
sns = boto3.client("sns")
stop = threading.Event()


def render_thumbnail(video_path: str, out_path: str) -> None:
    subprocess.run(  # quiet: a local ffmpeg with a timeout; its errors are handled by handle()
        ["ffmpeg", "-y", "-ss", "3", "-i", video_path, "-frames:v", "1", out_path],
        check=True,
        capture_output=True,
        timeout=120,
    )


def process(body: dict) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src.mp4")
        dst = os.path.join(tmp, "thumb.jpg")
        s3.download_file(MEDIA_BUCKET, body["video_key"], src)  # quiet: handle() catches every error of process() and leaves the message for redelivery
        render_thumbnail(src, dst)
        thumb_key = body["video_key"].rsplit(".", 1)[0] + ".jpg"
        s3.upload_file(dst, MEDIA_BUCKET, thumb_key)  # quiet: handle() catches every error of process() and leaves the message for redelivery
    return thumb_key


def _dead_letter(message: dict, reason: str) -> None:
    """Move a message that can never succeed to the DLQ right away instead of after five receives."""
    try:
        sqs.send_message(QueueUrl=DLQ_URL, MessageBody=message["Body"], MessageAttributes={"reason": {"DataType": "String", "StringValue": reason}})  # quiet: botocore errors are handled below
        sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])  # quiet: botocore errors are handled below
    except (ClientError, BotoCoreError):  # quiet: logged with the traceback; the message stays on the queue and the redrive policy dead-letters it later
        logger.exception("could not dead-letter message %s; the redrive policy will", message["MessageId"])


def handle(message: dict) -> None:
    try:
        body = json.loads(message["Body"])
        thumb_key = process(body)
    except subprocess.CalledProcessError as exc:  # quiet: not swallowed: a video ffmpeg cannot decode is dead-lettered
        logger.error("ffmpeg failed for message %s: %s", message["MessageId"], exc)  # expect: lost-traceback-log -- CalledProcessError's text is only the command and exit status; ffmpeg's stderr, which says why the video cannot be decoded, is thrown away
        _dead_letter(message, reason="ffmpeg")
        return
    except Exception:  # quiet: logged with the traceback and the message is not deleted: it is redelivered after the visibility timeout
        logger.exception("thumbnail for message %s failed; leaving it for redelivery", message["MessageId"])
        return
    try:
        sns.publish(TopicArn=READY_TOPIC_ARN, Message=json.dumps({"video_key": body["video_key"], "thumbnail_key": thumb_key}))  # quiet: caught below (that handler is the defect)
    except ClientError:  # expect: silent-except -- a failed "thumbnail ready" announcement is dropped without a log line and the message is deleted next, so the catalog page shows a blank thumbnail forever
        pass
    sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])  # expect: unhandled-external-call -- a throttled or failed DeleteMessage escapes handle() and poll_forever(), killing the worker thread; the other messages of the batch are never processed and the pool silently shrinks


def poll_forever() -> None:
    delay = 1
    while not stop.is_set():  # quiet: a polling loop driven by a stop event, with capped exponential back-off on receive errors
        try:
            resp = sqs.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=10, WaitTimeSeconds=20)  # quiet: botocore errors are handled below
        except (ClientError, BotoCoreError):  # quiet: logged with the traceback, then the loop backs off (capped at 60 s) and polls again
            logger.exception("receive from %s failed; backing off %s s", QUEUE_URL, delay)
            stop.wait(delay)
            delay = min(delay * 2, 60)
            continue
        delay = 1
        for message in resp.get("Messages", []):
            handle(message)  # quiet: the unhandled DeleteMessage under handle() is reported once, on its own line, since every path to it leaves it unhandled


def main() -> int:
    threads = [threading.Thread(target=poll_forever, name=f"thumbnails-{n}", daemon=True) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    try:
        while any(thread.is_alive() for thread in threads):
            stop.wait(5)
    except KeyboardInterrupt:  # quiet: clean shutdown at the entry point: sets the stop event and waits for the threads
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
