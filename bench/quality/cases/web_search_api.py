"""Product search API (FastAPI): full-text search, product documents, similar products and
prefix suggestions on Elasticsearch 8 (async client).

Query expansion comes from the synonyms service; every search is recorded for the relevance
team by the analytics service.
"""
import asyncio
import json
import logging
import os

import httpx
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError, TransportError
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)
es = AsyncElasticsearch(
    os.environ["ES_URL"], api_key=os.environ["ES_API_KEY"], request_timeout=5, max_retries=2, retry_on_timeout=True
)
synonyms = httpx.AsyncClient(base_url="https://synonyms.internal.example", timeout=0.5)
analytics = httpx.AsyncClient(base_url="https://analytics.internal.example", timeout=2)
app = FastAPI()


class SearchUnavailable(Exception):
    """Elasticsearch could not answer the query."""


async def search_unavailable(request: Request, exc: SearchUnavailable) -> JSONResponse:
    return JSONResponse({"error": "search is temporarily unavailable"}, status_code=503)


app.add_exception_handler(SearchUnavailable, search_unavailable)


async def _expand(q: str) -> list:
    """Optional enrichment: the query alone when the synonyms service cannot be reached."""
    try:
        resp = await synonyms.get("/expand", params={"q": q})
    except httpx.TransportError:  # quiet: optional enrichment logged with the traceback, with the documented fallback to the plain query
        logger.warning("synonyms unavailable for %r", q, exc_info=True)
        return [q]
    return json.loads(resp.text)["terms"]  # expect: unchecked-http-status -- no status check before parsing: a 429 or 500 error body reaches json.loads (JSONDecodeError on an HTML page, KeyError on a JSON error) and the search answers 500 for an optional expansion


async def _record_query(q: str, total: int) -> None:
    """Best effort: a lost analytics event never fails a search."""
    try:
        resp = await analytics.post("/search-events", json={"q": q, "total": total})
        resp.raise_for_status()
    except httpx.HTTPError:  # quiet: best-effort metrics, logged with the traceback
        logger.warning("search event for %r not recorded", q, exc_info=True)


@app.get("/search")
async def search(q: str = Query(min_length=2), page: int = Query(1, ge=1)):
    terms = await _expand(q)
    try:
        result = await es.search(  # quiet: every Elasticsearch error becomes SearchUnavailable, answered 503 by the registered handler
            index="products",
            query={"multi_match": {"query": " ".join(terms), "fields": ["title^3", "description"]}},
            from_=(page - 1) * 20,
            size=20,
        )
    except (ApiError, TransportError) as exc:
        raise SearchUnavailable() from exc
    total = result["hits"]["total"]["value"]
    asyncio.ensure_future(_record_query(q, total))  # expect: fire-and-forget-task -- the future is dropped: the loop keeps only a weak reference, so the analytics post can be garbage-collected mid-flight and the relevance team silently loses searches
    return {"total": total, "hits": [hit["_source"] for hit in result["hits"]["hits"]]}


@app.get("/products/{product_id}")
async def product(product_id: str):
    doc = await es.get(index="products", id=product_id)  # expect: unhandled-external-call -- an unknown id raises NotFoundError (and a cluster outage ConnectionError); nothing catches either, so a stale link gives the shopper a 500 instead of a 404
    return doc["_source"]


@app.get("/products/{product_id}/similar")
async def similar(product_id: str):
    try:
        doc = await es.get(index="products", id=product_id, source_includes=["title", "category"])  # quiet: the not-found is handled deliberately below; the other modes are a contract's business
    except NotFoundError:
        raise HTTPException(status_code=404, detail="unknown product") from None  # quiet: from None on purpose: a missing document needs no cause
    try:
        result = await es.search(  # quiet: every Elasticsearch error becomes SearchUnavailable, answered 503 by the registered handler
            index="products",
            query={"more_like_this": {"fields": ["title"], "like": [{"_index": "products", "_id": product_id}]}},
            post_filter={"term": {"category": doc["_source"]["category"]}},
            size=8,
        )
    except (ApiError, TransportError) as exc:
        raise SearchUnavailable() from exc
    return {"similar": [hit["_source"] for hit in result["hits"]["hits"]]}


@app.get("/suggest")
async def suggest(prefix: str = Query(min_length=1, max_length=40)):
    try:
        result = await es.search(
            index="products",
            suggest={"title": {"prefix": prefix, "completion": {"field": "title_suggest", "size": 8}}},
            source=False,
        )
    except (ApiError, TransportError):
        raise SearchUnavailable()  # expect: unchained-translation -- raised without from: the 503 keeps no trace of what the cluster said (timeout, 429 circuit breaker, shard failure), so nobody can tell why suggestions are down
    options = result["suggest"]["title"][0]["options"]
    return {"suggestions": [opt["text"] for opt in options]}
