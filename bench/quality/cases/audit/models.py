"""Audit models: a tenant's retention setting and the events stored for it."""
from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Tenant(Base):
    __tablename__ = "tenants"
    id = Column(String(64), primary_key=True)
    retention_days = Column(Integer, nullable=False, default=90)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id = Column(Integer, primary_key=True)
    tenant_id = Column(String(64), nullable=False)
    actor = Column(String(255), nullable=False)
    action = Column(String(255), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
