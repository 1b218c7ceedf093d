"""The vector store client the knowledge routes share."""

import httpx


class VectorClient:
    def __init__(self, url: str):
        self.url = url

    async def delete(self, collection_name: str, filter: dict) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            resp = await client.post(f"{self.url}/collections/{collection_name}/points/delete", json={"filter": filter})
            resp.raise_for_status()


VECTOR_DB = VectorClient("http://qdrant:6333")
