"""The audit database: one engine per process, sessions made by ``SessionLocal()``."""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(os.environ.get("AUDIT_DSN", "postgresql+psycopg2://audit@db/audit"), pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)
