"""Account endpoints of the storefront: profile, addresses and the loyalty programme.

Loyalty and address normalisation are separate internal services; account data lives in
the storefront's own Postgres database through Flask-SQLAlchemy.
"""
import logging

import requests as rq
from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config.from_prefixed_env()
db = SQLAlchemy(app)
logger = logging.getLogger(__name__)

LOYALTY_URL = "https://loyalty.internal.example/api/v2"
GEO_URL = "https://geo.internal.example/v1/normalize"


class Account(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), unique=True, nullable=False)
    display_name = db.Column(db.String(120))
    loyalty_id = db.Column(db.String(64))


class Address(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("account.id"), nullable=False)
    line1 = db.Column(db.String(200), nullable=False)
    postcode = db.Column(db.String(16), nullable=False)
    country = db.Column(db.String(2), nullable=False)


class LoyaltyUnavailable(Exception):
    """The loyalty service could not be reached or answered with an error status."""


@app.errorhandler(LoyaltyUnavailable)
def handle_loyalty_unavailable(exc):
    return jsonify(error="loyalty service unavailable"), 503


def _loyalty_get(path: str) -> dict:
    """GET one loyalty resource; every failure becomes LoyaltyUnavailable."""
    try:
        resp = rq.get(f"{LOYALTY_URL}{path}", timeout=4)  # quiet: timeout set, and every requests error (raise_for_status included) becomes LoyaltyUnavailable, which the registered errorhandler answers with 503
        resp.raise_for_status()
    except rq.RequestException as exc:
        raise LoyaltyUnavailable(f"GET {path} failed") from exc  # quiet: chained with from exc, the cause travels with the domain error
    return resp.json()  # quiet: raise_for_status ran on this path before the body is read


def _tier_for(points: int) -> str:
    for threshold, tier in ((10_000, "gold"), (2_500, "silver")):
        if points >= threshold:
            return tier
    return "bronze"


@app.get("/accounts/<int:account_id>")
def get_account(account_id):
    account = db.session.get(Account, account_id)  # expect: unhandled-external-call -- an unknown id makes session.get return None and the attribute read below raises AttributeError: the client gets a 500 instead of a 404
    return jsonify(id=account.id, email=account.email, name=account.display_name)


@app.get("/accounts/<int:account_id>/loyalty")
def loyalty_balance(account_id):
    account = db.get_or_404(Account, account_id)  # quiet: get_or_404 answers 404 for an unknown id
    balance = _loyalty_get(f"/members/{account.loyalty_id}/balance")
    return jsonify(points=balance["points"], tier=_tier_for(balance["points"]))


@app.get("/accounts/<int:account_id>/summary")
def account_summary(account_id):
    account = db.get_or_404(Account, account_id)
    try:
        balance = _loyalty_get(f"/members/{account.loyalty_id}/balance")
        history = _loyalty_get(f"/members/{account.loyalty_id}/history?limit=5")
        tier = _tier_for(balance["points"])
    except (LoyaltyUnavailable, KeyError) as exc:
        logger.error("loyalty summary failed for account %s: %s", account_id, exc)  # expect: lost-traceback-log -- the try spans two loyalty calls and the tier computation, and str(exc) is only "'points'" for a KeyError or "GET ... failed" without its chained cause (timeout? 500?): the 502 cannot be diagnosed from this record
        return jsonify(id=account.id, loyalty=None, error="loyalty summary unavailable"), 502
    return jsonify(id=account.id, points=balance["points"], tier=tier, recent=history.get("events", []))


@app.post("/accounts/<int:account_id>/addresses")
def add_address(account_id):
    db.get_or_404(Account, account_id)
    payload = request.get_json(force=True)
    resp = rq.post(  # expect: unhandled-external-call, missing-timeout -- no timeout, so a geo service that accepts the connection and stalls holds this worker forever; and its connection errors reach the route with nothing in this app handling requests errors: a bare 500
        GEO_URL,
        json={"line1": payload["line1"], "postcode": payload["postcode"], "country": payload["country"]},
    )
    if not resp.ok:
        abort(502 if resp.status_code >= 500 else 422)
    normalised = resp.json()  # quiet: .ok was checked on this path; an error status ends in abort() before the read
    address = Address(
        account_id=account_id,
        line1=normalised["line1"],
        postcode=normalised["postcode"],
        country=normalised["country"],
    )
    db.session.add(address)
    db.session.commit()  # expect: transaction-without-rollback -- db.session is the app's scoped session and nothing rolls it back: a failed INSERT leaves it in a failed transaction, so the error handlers and teardown hooks that touch it next raise PendingRollbackError
    return jsonify(id=address.id), 201


@app.patch("/accounts/<int:account_id>")
def rename_account(account_id):
    account = db.get_or_404(Account, account_id)
    account.display_name = request.get_json(force=True)["display_name"]
    try:
        db.session.commit()  # quiet: the handler below rolls the scoped session back before re-raising
    except Exception:  # quiet: rollback then bare raise: the error still reaches Flask
        db.session.rollback()
        raise
    return jsonify(id=account.id, name=account.display_name)


@app.delete("/accounts/<int:account_id>/loyalty")
def unlink_loyalty(account_id):
    account = db.get_or_404(Account, account_id)
    try:
        resp = rq.delete(f"{LOYALTY_URL}/members/{account.loyalty_id}", timeout=4)
        resp.raise_for_status()
    except rq.RequestException:  # expect: silent-except -- the unlink failed at the loyalty service, yet the route answers 200 "unlinked": the member stays enrolled and keeps receiving loyalty mail, and the client never retries
        logger.exception("loyalty unlink failed for account %s", account_id)  # quiet: the swallow is reported once, on the except line
    return jsonify(id=account.id, loyalty="unlinked")
