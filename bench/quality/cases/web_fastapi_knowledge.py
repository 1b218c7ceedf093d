"""A FastAPI knowledge service: archived payloads read back from S3, the text-to-speech voices a settings page
offers, a route that unlinks a file and then drops its vectors, and the provisioning of a cloud service account
through gcloud."""

import asyncio
import logging
import subprocess

import aiohttp
import boto3
from fastapi import APIRouter, HTTPException

from app.db import Knowledge, get_session
from kb_store.vectors import VECTOR_DB

log = logging.getLogger(__name__)
router = APIRouter()
s3 = boto3.client("s3")
ELEVEN_URL = "https://api.elevenlabs.example"


class Payload:
    def __init__(self, spans):
        self.spans = spans


def archived_payload(bucket: str, key: str, path: str) -> Payload:
    """Download the archived payload of a trace.

    Returns:
        The payload. If the archived payload is missing, returns an empty ``Payload`` so callers can still show
        the trace's metadata.
    """
    try:
        s3.download_file(bucket, key, path)
    except Exception:  # expect: silent-except -- expired credentials or S3 throttling are shown as a trace with no spans
        log.warning("archived payload is missing for %s; returning empty spans", key)
        return Payload(spans=[])
    with open(path, "rb") as f:
        return Payload(spans=f.read().splitlines())


async def get_available_voices(engine: str, api_key: str) -> list[dict]:
    """Return the list of available voices for the configured engine."""
    available_voices = []
    if engine == "openai":
        available_voices = [{"id": "alloy"}, {"id": "echo"}]
    elif engine == "elevenlabs":
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{ELEVEN_URL}/v1/voices", headers={"xi-api-key": api_key}) as resp:
                    resp.raise_for_status()
                    available_voices = [{"id": v["voice_id"], "name": v["name"]} for v in await resp.json()]
        except Exception as e:  # quiet: a settings dropdown of voices comes back short, and the log says why
            log.error(f"Error fetching voices: {e}")
    return available_voices


@router.post("/knowledge/{knowledge_id}/file/remove")
async def remove_file(knowledge_id: str, file_id: str, file_hash: str | None = None):
    async with get_session() as session:
        knowledge = await session.get(Knowledge, knowledge_id)
        if knowledge is None:
            raise HTTPException(status_code=404, detail="knowledge base not found")
        await session.unlink_file(knowledge_id=knowledge_id, file_id=file_id)
        await session.commit()

    try:
        await VECTOR_DB.delete(collection_name=knowledge_id, filter={"file_id": file_id})
        if file_hash:
            await VECTOR_DB.delete(collection_name=knowledge_id, filter={"hash": file_hash})
    except Exception as e:  # expect: silent-except -- the removed file's chunks stay in the collection and RAG keeps citing them
        log.debug(e)

    return {"knowledge_id": knowledge_id, "removed": file_id}


async def create_service_account(name: str, project: str) -> None:
    try:
        await asyncio.to_thread(
            subprocess.run,
            ["gcloud", "iam", "service-accounts", "create", name, f"--project={project}"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as e:  # expect: silent-except -- a missing IAM permission is swallowed, and the key creation fails later with a misleading error
        if "already exists" not in e.output.decode("utf-8"):
            return
        raise RuntimeError("Error creating the service account.") from e
