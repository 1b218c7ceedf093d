"""A review-queue store with a plugin loader and a return-URL hook: expected outcomes handled on purpose."""

import logging
import os
from pathlib import Path

from django.urls import resolve
from sqlalchemy.exc import IntegrityError

from review.models import QueueItem, load_plugin

logger = logging.getLogger(__name__)


def attach_items(session, queue_id, item_ids):
    existing = {row.item_id for row in session.query(QueueItem).filter(QueueItem.queue_id == queue_id)}
    for item_id in item_ids:
        if item_id in existing:
            continue
        try:
            # a concurrent attach of the same item is the only integrity error here: the re-read below finds it
            with session.begin_nested():
                session.add(QueueItem(queue_id=queue_id, item_id=item_id))
                session.flush()
        except IntegrityError:  # quiet: the lost race of an idempotent insert; the re-read returns the other writer's row
            pass
    return session.query(QueueItem).filter(QueueItem.queue_id == queue_id, QueueItem.item_id.in_(item_ids)).all()


def discover_plugins(plugins_path):
    if not plugins_path or not os.path.isdir(plugins_path):
        return
    try:
        for plugin_file in Path(plugins_path).glob("*.zip"):
            try:
                yield load_plugin(plugin_file)
            except Exception:
                logger.exception("Failed to load plugin from %s", plugin_file)
    except OSError as e:  # quiet: optional discovery; the log names the path and the OS error, each load has its own handler
        logger.error("Error discovering plugins in %s: %s", plugins_path, e)


def return_url_hook(sender, request, **kwargs):
    try:
        match = resolve(request.path_info)
    except Exception:  # quiet: no URL pattern matches, so this hook does not apply to the page
        return
    if match.url_name == "order.detail" and "return_url" in request.GET:
        request.session["return_url"] = request.GET["return_url"]


def mark_reviewed(session, queue_id, item_id):
    try:
        item = session.query(QueueItem).filter_by(queue_id=queue_id, item_id=item_id).one()
        item.status = "REVIEWED"
        session.flush()
    except Exception as e:  # expect: silent-except -- a failed flush is printed and the caller is told the item was reviewed
        print(e)
    return True
