"""Realtime presence service: a python-socketio server that relays cursor updates, humanizes "last seen" times in
the visitor's locale. Round 13 shapes of SAD104 (one library's calls are one step)."""

import logging

import humanize
import socketio

from presence.store import PresenceStore

log = logging.getLogger(__name__)

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
store = PresenceStore()


def last_seen(delta, locale):
    try:
        humanize.i18n.activate(locale)
        text = humanize.naturaltime(delta)
        humanize.i18n.deactivate()
        return text
    except Exception as e:
        log.warning("Locale %r is not supported by humanize: %s", locale, e)  # quiet: every step is a humanize call; gettext's "No translation file found for domain: 'humanize'" names the failure, and a traceback per row adds only volume
        return humanize.naturaltime(delta)


@sio.on("cursor:update")
async def cursor_update(sid, data):
    try:
        room = f"doc_{data['document_id']}"
        if room not in sio.rooms(sid):
            return
        await sio.emit("cursor:update", {"sid": sid, "update": data["update"]}, room=room, skip_sid=sid)
    except Exception as e:
        log.error(f"Error in cursor_update: {e}")  # quiet: one server object's calls; only emit does I/O and its transport error, or the KeyError's key, says what failed


@sio.on("presence:join")
async def presence_join(sid, data):
    try:
        store.add_member(data["room"], sid)
        store.announce(data["room"], sid)
    except Exception as e:
        log.error(f"Error in presence_join: {e}")  # expect: lost-traceback-log -- two of the project's own store steps (a Redis SADD, then a PUBLISH fan-out): "Connection reset by peer" does not say whether the member was added and only the announce failed, which decides whether the room shows a ghost
        return {"ok": False}
    return {"ok": True}
