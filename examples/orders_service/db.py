"""Persistence: SQLAlchemy models and the order repository."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer, String, create_engine, select, text
from sqlalchemy.exc import NoResultFound, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload, sessionmaker

from orders_service.context import current_correlation_id
from orders_service.errors import OrderNotFound
from orders_service.settings import DATABASE_URL

logger = logging.getLogger(__name__)

engine = create_engine(
    DATABASE_URL,
    pool_pre_ping=True,
    pool_timeout=10,
    connect_args={"connect_timeout": 5, "options": "-c statement_timeout=5000"},
)
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="pending_payment")
    charge_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    refund_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))

    customer: Mapped[Customer] = relationship()

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "status": self.status,
            "charge_id": self.charge_id,
            "created_at": self.created_at.isoformat(),
        }


def save_order(order: Order) -> Order:
    session = SessionLocal()
    session.add(order)
    session.commit()
    session.close()
    return order


def load_order(order_id: str) -> Order:
    with SessionLocal() as session:
        try:
            return session.execute(select(Order).where(Order.id == order_id)).scalar_one()
        except NoResultFound:
            raise OrderNotFound(order_id) from None


def find_customer(customer_id: str) -> Customer | None:
    try:
        with SessionLocal() as session:
            return session.get(Customer, customer_id)
    except Exception:
        return None


def update_status(order_id: str, status: str) -> None:
    with SessionLocal.begin() as session:
        order = session.get(Order, order_id, with_for_update=True)
        if order is None:
            raise OrderNotFound(order_id)
        order.status = status


def mark_refunded(order_id: str, refund_id: str) -> None:
    try:
        with SessionLocal.begin() as session:
            order = session.get(Order, order_id, with_for_update=True)
            if order is None:
                raise OrderNotFound(order_id)
            order.status = "refunded"
            order.refund_id = refund_id
    except Exception:
        logger.exception(
            "could not mark order refunded",
            extra={"correlation_id": current_correlation_id(), "order_id": order_id, "refund_id": refund_id},
        )
        raise


def unpaid_orders_with_contacts(older_than: datetime) -> list[tuple[str, str | None]]:
    """(order id, customer phone) of orders still waiting for payment, for the reminder job."""
    session = SessionLocal()
    reminders = []
    for order in session.query(Order).filter(Order.status == "pending_payment", Order.created_at < older_than):
        customer = session.query(Customer).filter_by(id=order.customer_id).one()
        reminders.append((order.id, customer.phone))
    session.close()
    return reminders


def orders_with_customers(order_ids: list[str]) -> list[Order]:
    with SessionLocal() as session:
        stmt = select(Order).options(selectinload(Order.customer)).where(Order.id.in_(order_ids))
        return list(session.scalars(stmt))


def expire_stale_orders(cutoff: datetime) -> int:
    """Mark orders that were never paid as expired; returns how many were expired."""
    expired = 0
    with SessionLocal() as session:
        stale = session.scalars(
            select(Order).where(Order.status == "pending_payment", Order.created_at < cutoff)
        ).all()
        for order in stale:
            order.status = "expired"
            try:
                session.commit()
                expired += 1
            except SQLAlchemyError as e:
                logger.warning(str(e))
                session.rollback()
    return expired


def is_healthy() -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False
