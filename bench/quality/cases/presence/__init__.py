"""Presence store of the realtime service (bench case socket_presence.py)."""
