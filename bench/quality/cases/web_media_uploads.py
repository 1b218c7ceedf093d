"""Listing media uploads (Flask + boto3): browsers upload straight to S3 with a presigned POST;
the API records the upload, confirms it, has it virus-scanned and thumbnailed, and deletes it."""
import logging
import os
import uuid

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Flask, jsonify
from requests.adapters import HTTPAdapter
from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker

from listings.models import MediaUpload

app = Flask(__name__)
logger = logging.getLogger(__name__)
BUCKET = os.environ["MEDIA_BUCKET"]
SCANNER_URL = "https://scanner.internal.example/v1/scans"
THUMBS_URL = "https://thumbs.internal.example/v1/jobs"
s3 = boto3.client("s3", config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}))
db_session = scoped_session(sessionmaker(create_engine(os.environ["LISTINGS_DATABASE_URL"], pool_pre_ping=True)))


class TimeoutAdapter(HTTPAdapter):
    """Gives every request sent through the mounted session a default timeout."""

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (3, 30)
        return super().send(request, **kwargs)


scanner = requests.Session()
scanner.mount("https://", TimeoutAdapter())


@app.errorhandler(requests.RequestException)
def upstream_failed(exc):
    logger.error("upstream call failed", exc_info=exc)
    return jsonify(error="a media service is unavailable"), 502


def _object_exists(key: str) -> bool:
    """True when the object is in the bucket, False when S3 answers 404."""
    try:
        s3.head_object(Bucket=BUCKET, Key=key)  # quiet: the 404 is handled deliberately below and every other ClientError is re-raised on purpose
    except ClientError as exc:  # quiet: only a 404 becomes the documented False; every other error propagates
        if exc.response["Error"]["Code"] == "404":
            return False
        raise
    return True


@app.post("/listings/<int:listing_id>/media")
def start_upload(listing_id):
    key = f"listings/{listing_id}/{uuid.uuid4()}"
    post = s3.generate_presigned_post(BUCKET, key, Conditions=[["content-length-range", 1, 20_000_000]], ExpiresIn=900)  # quiet: presigning is computed locally from the credentials; no request goes to S3, so there is no remote failure to handle
    upload = MediaUpload(listing_id=listing_id, key=key, status="pending")
    db_session.add(upload)
    db_session.commit()  # expect: transaction-without-rollback -- db_session is a thread-scoped session that is never removed: after a failed INSERT it stays in a failed transaction and every later request served by this thread fails with PendingRollbackError
    return jsonify(id=upload.id, url=post["url"], fields=post["fields"]), 201


@app.get("/media/<int:upload_id>")
def upload_status(upload_id):
    upload = db_session.get(MediaUpload, upload_id)  # quiet: None is answered 404 before any attribute is read
    if upload is None:
        return jsonify(error="unknown upload"), 404
    if upload.status == "pending" and not _object_exists(upload.key):  # quiet: _object_exists handles the 404 deliberately and re-raises the rest on purpose; the other modes are a contract's business
        return jsonify(id=upload.id, status="waiting for the upload")
    return jsonify(id=upload.id, status=upload.status, size=upload.size)


@app.post("/media/<int:upload_id>/complete")
def complete_upload(upload_id):
    upload = db_session.get(MediaUpload, upload_id)  # quiet: None is answered 404 before any attribute is read
    if upload is None:
        return jsonify(error="unknown upload"), 404
    head = s3.head_object(Bucket=BUCKET, Key=upload.key)  # expect: unhandled-external-call -- a browser that never finished the upload makes head_object raise ClientError 404 and nothing catches it: the client gets a 500 instead of a 409 "upload not found"
    upload.size = head["ContentLength"]
    upload.status = "uploaded"
    try:
        db_session.commit()  # quiet: the handler rolls the scoped session back and re-raises
    except Exception:  # quiet: rollback then bare raise: the error still reaches Flask
        db_session.rollback()
        raise
    scan = scanner.post(SCANNER_URL, json={"bucket": BUCKET, "key": upload.key})  # quiet: the mounted TimeoutAdapter gives every scanner request a (3, 30) s timeout; requests errors go to the registered errorhandler
    scan.raise_for_status()
    thumbs = requests.post(THUMBS_URL, json={"bucket": BUCKET, "key": upload.key, "sizes": [200, 800]})  # expect: missing-timeout -- the thumbnail service is called with plain requests, not the scanner session with its adapter, and with no timeout: if it stalls, this request and its worker hang forever
    thumbs.raise_for_status()
    return jsonify(id=upload.id, status=upload.status, scan=scan.json()["scan_id"], thumbs=thumbs.json()["job_id"])  # quiet: both responses went through raise_for_status before their bodies are read


@app.delete("/media/<int:upload_id>")
def delete_upload(upload_id):
    upload = db_session.get(MediaUpload, upload_id)  # quiet: None is answered 404 before any attribute is read
    if upload is None:
        return "", 404
    try:
        s3.delete_object(Bucket=BUCKET, Key=upload.key)  # quiet: ClientError is caught, so this call is handled; how the handler swallows it is the finding on the except line
    except ClientError:  # expect: silent-except -- an AccessDenied or throttling error from S3 is dropped without a log line, then the row is deleted and the route answers 204: the file stays in the bucket, unreferenced, forever
        pass
    db_session.delete(upload)
    try:
        db_session.commit()  # quiet: the handler rolls the scoped session back and re-raises
    except Exception:  # quiet: rollback then bare raise: the error still reaches Flask
        db_session.rollback()
        raise
    return "", 204
