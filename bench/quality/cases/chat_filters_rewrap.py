"""Chat pipeline: inlet filters run before the model call, a background worker started from the app."""

import asyncio
import logging

from fastapi import FastAPI, HTTPException

from chat_filters_support import load_filters, run_model

log = logging.getLogger(__name__)
app = FastAPI()


async def apply_inlet_filters(request, form_data, user):
    filters = await load_filters(request, user)
    try:
        for f in filters:
            form_data = await f.inlet(form_data, user=user)
    except Exception as e:
        raise Exception(f"{e}")  # expect: unchained-translation -- a filter's HTTPException(403) becomes a plain Exception: the route's isinstance check misses it and the user gets a 500
    return form_data


class UsageReporter:
    def __init__(self, interval=30):
        self.interval = interval
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("UsageReporter must be created inside an async context.")  # expect: unchained-translation -- the "no running event loop" error prints above it as a second bug in the handler; from None drops it
        self.task = None


@app.post("/chat")
async def chat(request: dict, user: str = "anonymous"):
    try:
        form_data = await apply_inlet_filters(request, dict(request), user)
    except HTTPException:
        raise
    except Exception as e:
        log.exception("chat failed")
        raise HTTPException(status_code=500, detail="chat failed") from e
    return await run_model(form_data)
