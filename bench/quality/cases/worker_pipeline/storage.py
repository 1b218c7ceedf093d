"""S3 access for the export pipeline: manifests in, finished exports out."""
from __future__ import annotations

import json
import logging
from typing import Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

EXPORT_BUCKET = "acme-exports"
RETENTION_TAG = "retention-class"

s3 = boto3.client("s3", config=Config(retries={"max_attempts": 4, "mode": "standard"}))


class ExportStorageError(Exception):
    """The export bucket could not be read or written."""


class ExportUploadFailed(ExportStorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"upload of s3://{EXPORT_BUCKET}/{key} failed")
        self.key = key


class ExportNotTagged(ExportStorageError):
    def __init__(self, key: str, code: str) -> None:
        super().__init__(f"could not tag s3://{EXPORT_BUCKET}/{key}: {code}")
        self.key = key
        self.code = code


def load_manifest(bucket: str, key: str) -> dict:
    """Read an export manifest. Errors are left to the caller, which knows whether to retry or dead-letter."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # quiet: the stream consumer handles this call and the export task does not, so the finding belongs on the task's call line
    return json.loads(body)


def find_previous_export(key: str) -> Optional[dict]:
    """Return the metadata of an earlier export stored under ``key``, or None when there is none."""
    try:
        head = s3.head_object(Bucket=EXPORT_BUCKET, Key=key)  # quiet: the 404 is handled deliberately and every other ClientError is re-raised to the caller
    except ClientError as exc:  # quiet: only the documented "no earlier export" answer becomes None; every other error is re-raised
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return None
        raise
    return head.get("Metadata", {})


def upload_export(key: str, path: str) -> str:
    """Store a finished export file and return its S3 URL."""
    try:
        with open(path, "rb") as fh:
            s3.put_object(Bucket=EXPORT_BUCKET, Key=key, Body=fh)  # quiet: every botocore error is translated below, botocore's 60 s default timeouts bound the call
    except (ClientError, BotoCoreError) as exc:  # quiet: translated into the package's own error for every caller
        raise ExportUploadFailed(key) from exc  # quiet: chained with `from exc`, the S3 error stays the cause
    return f"s3://{EXPORT_BUCKET}/{key}"


def delete_export_object(key: str) -> None:
    """Remove an export file; errors go to the caller (the purge task counts them)."""
    s3.delete_object(Bucket=EXPORT_BUCKET, Key=key)  # quiet: the only caller, the purge task, catches every error around it and counts the failure


def tag_export(key: str, retention: str) -> None:
    """Attach the retention tag; billing's lifecycle rules delete untagged exports after a day."""
    try:
        s3.put_object_tagging(  # quiet: the call is caught below (that handler is the defect)
            Bucket=EXPORT_BUCKET,
            Key=key,
            Tagging={"TagSet": [{"Key": RETENTION_TAG, "Value": retention}]},
        )
    except ClientError as exc:  # expect: silent-except -- only NoSuchKey is raised; throttling, AccessDenied and 5xx return as if the tag was set, and the lifecycle rule deletes the untagged export a day later with no log line
        code = exc.response["Error"]["Code"]
        if code == "NoSuchKey":
            raise ExportNotTagged(key, code) from exc
        return
