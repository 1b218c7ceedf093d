"""The project's presence store: room members in Redis sets, announcements over pub/sub."""

import redis


class PresenceStore:
    def __init__(self):
        self._redis = redis.Redis(host="cache", socket_timeout=5, socket_connect_timeout=2)

    def add_member(self, room, sid):
        self._redis.sadd(f"room:{room}", sid)
        self._redis.expire(f"room:{room}", 3600)

    def announce(self, room, sid):
        for member in self._redis.smembers(f"room:{room}"):
            self._redis.publish(f"presence:{member.decode()}", sid)
