"""Order API: read, create, quote and cancel orders; order reports for the back office.

Sessions are request-scoped through Depends(get_db); unit prices come from the pricing
service, whose failures the app answers with 503.
"""
import logging
from typing import Iterator, List

import httpx
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import ForeignKey, String, create_engine, func, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload, sessionmaker

logger = logging.getLogger(__name__)
engine = create_engine("postgresql+psycopg://orders@orders-db/orders", pool_pre_ping=True)
SessionLocal = sessionmaker(engine, expire_on_commit=False)
pricing = httpx.Client(base_url="https://pricing.internal.example", timeout=3.0)
router = APIRouter(prefix="/orders")


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255))


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    customer: Mapped[Customer] = relationship()
    lines: Mapped[List["OrderLine"]] = relationship(back_populates="order")


class OrderLine(Base):
    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    sku: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int]
    unit_cents: Mapped[int]
    order: Mapped[Order] = relationship(back_populates="lines")


class NewLine(BaseModel):
    sku: str
    quantity: int


class NewOrder(BaseModel):
    customer_id: int
    lines: List[NewLine]


class PricingUnavailable(Exception):
    def __init__(self, skus: str):
        super().__init__(f"no price for {skus}")
        self.skus = skus


def get_db() -> Iterator[Session]:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def unit_price(sku: str) -> int:
    """Current unit price in cents; raises PricingUnavailable when the pricing service fails."""
    try:
        resp = pricing.get(f"/prices/{sku}")  # quiet: the client carries a 3 s timeout; transport and status errors become PricingUnavailable, which the app answers with 503
        resp.raise_for_status()
    except httpx.HTTPError as exc:
        raise PricingUnavailable(sku) from exc
    return resp.json()["unit_cents"]  # quiet: raise_for_status ran before the body is read


def _bulk_prices(skus: List[str]) -> dict:
    try:
        resp = pricing.post("/prices:batch", json={"skus": skus})
        resp.raise_for_status()
    except httpx.HTTPError:
        raise PricingUnavailable(",".join(skus))  # expect: unchained-translation -- raised without from: the 503 keeps no trace of whether pricing timed out, refused the connection or answered 500, so on-call cannot tell which one from the error report
    return resp.json()["prices"]  # quiet: raise_for_status ran before the body is read


@router.get("/{order_id}")
def read_order(order_id: int, db: Session = Depends(get_db)):
    order = db.execute(select(Order).where(Order.id == order_id)).scalar_one()  # expect: unhandled-external-call -- an unknown id raises NoResultFound and nothing catches it: the client gets a 500 instead of a 404
    return {"id": order.id, "status": order.status}


@router.post("", status_code=201)
def create_order(payload: NewOrder, db: Session = Depends(get_db)):
    customer = db.get(Customer, payload.customer_id)  # quiet: a None result becomes a 422 before any attribute is read
    if customer is None:
        raise HTTPException(status_code=422, detail="unknown customer")
    order = Order(customer_id=customer.id)
    for line in payload.lines:
        order.lines.append(OrderLine(sku=line.sku, quantity=line.quantity, unit_cents=unit_price(line.sku)))
    db.add(order)
    try:
        db.commit()  # quiet: the handler rolls the request session back and re-raises
    except:  # quiet: a bare except that rolls back and re-raises: KeyboardInterrupt and SystemExit still propagate
        db.rollback()
        raise
    return {"id": order.id}


@router.post("/quote")
def quote(lines: List[NewLine]):
    prices = _bulk_prices([line.sku for line in lines])
    return {"total_cents": sum(prices[line.sku] * line.quantity for line in lines)}


@router.post("/{order_id}/cancel")
def cancel_order(order_id: int, db: Session = Depends(get_db)):
    try:
        order = db.execute(select(Order).where(Order.id == order_id)).scalar_one()  # quiet: NoResultFound is answered 404 below
    except NoResultFound:
        raise HTTPException(status_code=404, detail="order not found") from None  # quiet: from None on purpose: a missing row needs no cause
    if order.status != "open":
        raise HTTPException(status_code=409, detail="order is not open")
    order.status = "cancelled"
    db.commit()  # expect: transaction-without-rollback -- the session comes from Depends(get_db) and outlives this function; with no rollback path a failed UPDATE leaves it in a failed transaction for everything after it in the request (PendingRollbackError)
    return {"id": order.id, "status": order.status}


@router.get("/customers/{customer_id}")
def customer_orders(customer_id: int, db: Session = Depends(get_db)):
    customer = db.get(Customer, customer_id)  # quiet: a None result is answered 404 before any attribute is read
    if customer is None:
        raise HTTPException(status_code=404, detail="customer not found")
    orders = db.scalars(select(Order).where(Order.customer_id == customer.id).options(selectinload(Order.lines))).all()  # quiet: a list query: no not-found mode, and database infrastructure failures are left to the framework's 500
    return [
        {"id": o.id, "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in o.lines]}  # quiet: lines are loaded by selectinload on the outer query
        for o in orders
    ]


@router.get("/reports/open")
def open_orders(db: Session = Depends(get_db)):
    report = []
    for order in db.scalars(select(Order).where(Order.status == "open")):  # quiet: a list query: no not-found mode; the outer loop of the N+1 below, whose inner query is the finding
        line_count = db.scalar(select(func.count()).select_from(OrderLine).where(OrderLine.order_id == order.id))  # expect: n-plus-one-query -- one COUNT query per open order: with 20k open orders the report makes 20k round trips and times out at the proxy
        report.append({"id": order.id, "lines": line_count})
    return report


@router.get("/reports/recent")
def recent_orders(db: Session = Depends(get_db)):
    orders = db.scalars(select(Order).order_by(Order.id.desc()).limit(200)).all()  # quiet: a list query: no not-found mode, and database infrastructure failures are left to the framework's 500
    return [{"id": o.id, "email": o.customer.email} for o in orders]  # expect: n-plus-one-query -- Order.customer is a lazy relationship and the query has no joinedload/selectinload: one SELECT per order, 200 extra queries per call


async def pricing_unavailable(request: Request, exc: PricingUnavailable) -> JSONResponse:
    return JSONResponse({"error": "pricing unavailable", "skus": exc.skus}, status_code=503)


app = FastAPI(title="orders")
app.include_router(router)
app.add_exception_handler(PricingUnavailable, pricing_unavailable)
