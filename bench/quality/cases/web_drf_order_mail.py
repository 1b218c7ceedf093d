"""Order endpoints of a ticket shop: extending an order's expiry date from the API, and assembling the order
confirmation email with its ticket attachments."""
import logging

from django.core.mail import EmailMultiAlternatives
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

log = logging.getLogger(__name__)


class OrderEmail(EmailMultiAlternatives):
    """The shop's email, with the order code in a header."""


@api_view(["POST"])
def extend_order(request, code):
    raw = request.data.get("expires")
    if not raw:
        return Response({"detail": "New date is missing."}, status=status.HTTP_400_BAD_REQUEST)
    field = serializers.DateField()
    try:
        new_date = field.to_internal_value(raw)
    except:  # expect: bare-except -- a bug in the parse is answered as "New date is invalid." instead of DRF's ValidationError alone
        return Response({"detail": "New date is invalid."}, status=status.HTTP_400_BAD_REQUEST)
    return Response({"code": code, "expires": new_date.isoformat()})


def build_confirmation(order, tickets):
    email = OrderEmail(subject=f"Your order {order.code}", body=order.summary, to=[order.email])
    for name, content, mimetype in tickets:
        try:
            email.attach(name, content, mimetype)
        except:  # expect: bare-except -- a ticket that fails to attach is dropped without a log line and the confirmation goes out without it
            pass
    return email


def parse_public_key(text, loader):
    try:
        return loader(text.encode())
    except:  # expect: bare-except -- every error, bugs included, becomes "Not a valid public key." with no cause
        raise serializers.ValidationError({"public_key": ["Not a valid public key."]})
