"""The audit service's own package: its database session factory and models (used by worker_kafka_audit)."""
