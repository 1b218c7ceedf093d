"""Checkout routes of the shop frontend (Flask blueprint): availability, the cart held in the
signed cookie session, shipping and payment."""
import logging
from uuid import uuid4

import requests
from flask import Blueprint, jsonify, request, session

from web_shop.clients import PaymentError, charge, release_stock, reserve_stock, shipping_quote, stock_level

logger = logging.getLogger(__name__)
bp = Blueprint("checkout", __name__, url_prefix="/shop")


@bp.app_errorhandler(PaymentError)
def payment_failed(exc):
    return jsonify(error=str(exc)), exc.status


@bp.get("/products/<sku>/availability")
def availability(sku):
    try:
        on_hand = stock_level(sku)  # quiet: every requests error of stock_level is answered 503 here
    except requests.RequestException:  # quiet: logged with the traceback and answered 503
        logger.warning("inventory lookup failed for %s", sku, exc_info=True)
        return jsonify(sku=sku, available=None, error="inventory unavailable"), 503
    return jsonify(sku=sku, available=on_hand > 0)


@bp.post("/cart/items")
def add_to_cart():
    item = request.get_json(force=True)
    if stock_level(item["sku"]) < item["quantity"]:  # expect: unhandled-external-call -- the other callers of stock_level answer its requests errors with 503, this route does not: an inventory timeout or 5xx here is a bare 500 when adding to the cart
        return jsonify(error="not enough stock"), 409
    cart = session.setdefault("cart", {"id": uuid4().hex, "items": {}})
    try:
        reservation = reserve_stock(cart["id"], item["sku"], item["quantity"])
    except requests.RequestException:  # quiet: logged with the traceback and answered 503
        logger.exception("stock reservation failed for cart %s", cart["id"])
        return jsonify(error="could not reserve stock"), 503
    cart["items"][item["sku"]] = {
        "quantity": item["quantity"],
        "price_cents": reservation["unit_cents"],
        "reservation": reservation["id"],
    }
    session.modified = True
    return jsonify(cart=cart), 201


@bp.delete("/cart/items/<sku>")
def remove_from_cart(sku):
    cart = session.get("cart", {"items": {}})  # quiet: Flask's cookie session is a dict; .get is not a database lookup
    line = cart["items"].pop(sku, None)
    if line is None:
        return "", 204
    try:
        release_stock(line["reservation"])
    except requests.RequestException as exc:
        logger.error(exc)  # expect: lost-traceback-log -- the record is only str(exc), e.g. "404 Client Error: Not Found for url: ...": no cart, no reservation id, no response body and no traceback, so after five attempts nobody can tell what inventory answered
        return jsonify(error="could not release the reservation"), 502
    session.modified = True
    return "", 204


@bp.get("/cart/shipping")
def cart_shipping():
    postcode = request.args["postcode"]
    weight = int(request.args.get("weight_grams", "1000"))
    return jsonify(shipping_quote(postcode, weight))  # quiet: the unhandled httpx call is reported once, inside shipping_quote, for every route that reaches it


@bp.post("/checkout")
def checkout():
    cart = session.get("cart")  # quiet: Flask's cookie session is a dict; .get is not a database lookup
    if not cart or not cart["items"]:
        return jsonify(error="cart is empty"), 400
    body = request.get_json(force=True)
    quote = shipping_quote(body["postcode"], body["weight_grams"])  # quiet: reported once, inside shipping_quote
    subtotal = sum(line["price_cents"] * line["quantity"] for line in cart["items"].values())
    charge_id = charge(cart["id"], subtotal + quote["price_cents"], body["card_token"])  # quiet: PaymentError and PaymentDeclined are answered by the blueprint's app_errorhandler
    session.pop("cart")
    return jsonify(charge_id=charge_id, carrier=quote["carrier"]), 201
