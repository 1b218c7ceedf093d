"""Shared helpers for the export pipeline workers: S3 storage, CRM enrichment and export bookkeeping.

The Celery tasks in ``worker_export_tasks`` and the Kafka consumer in ``worker_stream_consumer`` call these
helpers; the helpers translate where a translation is theirs to make and otherwise leave the handling to
their callers.
"""
