"""Customer-facing storefront views (Django): order history, order detail, invoice download,
reorder, and two back-office pages."""
import logging
from datetime import timedelta

import requests
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shop.models import Customer, Order, OrderLine, Product

logger = logging.getLogger(__name__)
INVOICE_URL = "https://invoices.internal.example/v1/invoices"


@login_required
@require_GET
def order_history(request):
    orders = (
        Order.objects.filter(customer__user=request.user)
        .select_related("shipping_address")
        .prefetch_related("lines__product")
        .order_by("-created_at")[:50]
    )
    history = []
    for order in orders:
        history.append(
            {
                "id": order.pk,
                "city": order.shipping_address.city,  # quiet: shipping_address is fetched by select_related on the outer query
                "products": [line.product.name for line in order.lines.all()],  # quiet: the lines and their products are prefetched on the outer query
                "returned": order.lines.filter(returned=True).count(),  # expect: n-plus-one-query -- filter() on a prefetched relation ignores the prefetch cache: one extra COUNT query per order, 50 per page view
                "gift_note": order.metadata.get("gift_note"),  # quiet: metadata is a JSONField already loaded with the row; .get() is a dict lookup, not a query
            }
        )
    return JsonResponse({"orders": history})


@login_required
@require_GET
def order_detail(request, order_id):
    order = Order.objects.select_related("shipping_address").get(pk=order_id, customer__user=request.user)  # expect: unhandled-external-call -- an id that does not exist or belongs to another customer raises Order.DoesNotExist and nothing catches it: the customer gets a 500 and an error report instead of a 404
    lines = order.lines.select_related("product")
    return JsonResponse(
        {
            "id": order.pk,
            "status": order.status,
            "city": order.shipping_address.city,
            "lines": [{"product": ln.product.name, "quantity": ln.quantity} for ln in lines],  # quiet: one query over the order's lines with their products joined in
        }
    )


@login_required
@require_GET
def download_invoice(request, order_id):
    order = get_object_or_404(Order, pk=order_id, customer__user=request.user)  # quiet: get_object_or_404 turns DoesNotExist into a 404
    try:
        resp = requests.get(f"{INVOICE_URL}/{order.invoice_number}.pdf", timeout=(3, 20))  # quiet: timeout set; connection errors and timeouts become a 502 below
    except requests.RequestException:  # quiet: logged with the traceback and answered 502
        logger.exception("invoice service unreachable for order %s", order.pk)
        return JsonResponse({"error": "invoice service unavailable"}, status=502)
    return HttpResponse(resp.content, content_type="application/pdf")  # expect: unchecked-http-status -- no status check: a 404 or 500 error page from the invoice service is served to the customer as a "PDF" with status 200


@login_required
@require_POST
def reorder(request, order_id):
    """Copy a past order into a new open order. Discontinued products are skipped."""
    original = get_object_or_404(Order, pk=order_id, customer__user=request.user)
    with transaction.atomic():
        new_order = Order.objects.create(customer=original.customer, status="open")
        for line in original.lines.all():
            try:
                product = Product.objects.get(pk=line.product_id, active=True)  # expect: n-plus-one-query -- one product query per line of the original order; a single Product.objects.in_bulk() over the line product ids would do
            except Product.DoesNotExist:  # quiet: a discontinued product is skipped, as the docstring says
                continue
            OrderLine.objects.create(order=new_order, product=product, quantity=line.quantity, unit_cents=product.price_cents)  # quiet: a write per line, not a read
    return JsonResponse({"id": new_order.pk}, status=201)


@login_required
@require_GET
def vip_last_orders(request):
    if not request.user.is_staff:
        return JsonResponse({"error": "forbidden"}, status=403)
    rows = []
    for customer in Customer.objects.filter(is_vip=True).order_by("name"):
        last = customer.orders.order_by("-created_at").first()  # expect: n-plus-one-query -- one orders query per VIP customer: the back-office page issues a query per row, thousands on a big list
        rows.append({"customer": customer.name, "last_order": last.pk if last else None})
    return JsonResponse({"rows": rows})


@login_required
@require_POST
def mark_abandoned(request):
    """Close carts untouched for a week. save() per order so post_save notifies the customer."""
    if not request.user.is_staff:
        return JsonResponse({"error": "forbidden"}, status=403)
    cutoff = timezone.now() - timedelta(days=7)
    closed = 0
    for order in Order.objects.filter(status="open", updated_at__lt=cutoff):
        order.status = "abandoned"
        order.save(update_fields=["status", "updated_at"])  # quiet: a write per row (kept per row for the post_save signal), not a read
        closed += 1
    return JsonResponse({"closed": closed})
