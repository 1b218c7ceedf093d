"""A FastAPI document library: a data-access class whose list methods answer an empty result after a failure,
a job runner that words its failure reports with container logs, and a listing that merges several storage
backends."""

import logging

import docker
from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from app.db import Document, get_session

log = logging.getLogger(__name__)
router = APIRouter()
client = docker.from_env()


class DocumentListResponse:
    def __init__(self, items, total):
        self.items = items
        self.total = total


class DocumentTable:
    async def list_documents(self, library_id: str) -> DocumentListResponse:
        try:
            async with get_session() as session:
                result = await session.execute(select(Document).filter_by(library_id=library_id))
                rows = result.scalars().all()
                return DocumentListResponse(items=list(rows), total=len(rows))
        except Exception as e:  # expect: silent-except -- a database outage is answered as a 200 "this library is empty"
            print(e)
            return DocumentListResponse(items=[], total=0)

    async def delete_document(self, document_id: str) -> bool:
        try:
            async with get_session() as session:
                document = await session.get(Document, document_id)
                await session.delete(document)
                await session.commit()
                return True
        except Exception:
            log.exception("cannot delete document %s", document_id)
            raise HTTPException(status_code=500, detail="cannot delete the document")


Documents = DocumentTable()


@router.get("/libraries/{library_id}/documents")
async def documents(library_id: str):
    return await Documents.list_documents(library_id)


@router.delete("/documents/{document_id}")
async def delete(document_id: str):
    return {"deleted": await Documents.delete_document(document_id)}


def _log_tail(container) -> str:
    try:
        return container.logs(tail=200).decode("utf-8", errors="replace")
    except Exception:  # quiet: only words the error message of a job that already failed; the job's own failure is reported
        return ""


def run_job(image: str, job_id: str) -> dict:
    container = client.containers.run(image, detach=True)
    status = container.wait(timeout=600)
    if status["StatusCode"] != 0:
        logs = _log_tail(container)
        return {"status": "failed", "error_message": f"job {job_id} exited {status['StatusCode']}:\n{logs}"}
    return {"status": "succeeded"}


class StorageListing:
    def __init__(self, backends):
        self.backends = backends

    def _backend_items(self, backend):
        try:
            return list(backend.list_items())
        except Exception:  # quiet: one backend of the merged listing, logged with the traceback; the others still list
            log.error("cannot list backend %s", backend.name, exc_info=True)
            return []

    def items(self):
        return sum([self._backend_items(backend) for backend in self.backends], [])


def _legacy_reindex(session, library_id):
    try:
        session.execute(f"reindex library {library_id}")
    except Exception:  # quiet: nothing in the project names this function: fixing it changes no behaviour
        pass
