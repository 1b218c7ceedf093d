"""Warehouse inventory API (Django REST framework): stock items, reservations, supplier
catalogues and restock requests."""
import logging

import requests
from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from warehouse.models import Reservation, StockItem, Supplier
from warehouse.serializers import ReservationSerializer, StockItemSerializer

logger = logging.getLogger(__name__)
FULFILMENT_URL = "https://fulfilment.internal.example/v1"
supplier_http = requests.Session()
supplier_http.headers.update({"User-Agent": "warehouse-api/3.2"})


class SupplierUnavailable(APIException):
    status_code = 503
    default_detail = "The supplier could not be reached; try again later."
    default_code = "supplier_unavailable"


class StockItemViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = StockItem.objects.select_related("product", "warehouse")
    serializer_class = StockItemSerializer

    @action(detail=False)
    def low_stock(self, request):
        rows = []
        for item in self.get_queryset().filter(quantity__lt=F("reorder_level")):
            rows.append(
                {
                    "sku": item.product.sku,  # quiet: product is fetched by the viewset queryset's select_related
                    "warehouse": item.warehouse.code,  # quiet: warehouse is fetched by the same select_related
                    "supplier": item.supplier.name,  # expect: n-plus-one-query -- supplier is not in the queryset's select_related: one supplier query per low-stock item
                }
            )
        return Response(rows)

    @action(detail=True, methods=["post"])
    def restock(self, request, pk=None):
        item = self.get_object()  # quiet: get_object answers 404 for an unknown pk
        supplier = item.supplier
        try:
            resp = supplier_http.post(  # quiet: timeout set, and every requests error becomes SupplierUnavailable, which DRF answers with 503
                f"{supplier.api_url}/restock-requests",
                json={"sku": item.product.sku, "quantity": item.reorder_quantity},
                timeout=(3, 15),
            )
            resp.raise_for_status()
        except requests.RequestException:
            raise SupplierUnavailable()  # expect: unchained-translation -- raised without from: DRF answers 503 but the supplier's timeout, 401 or 500 is not attached as the cause, so nothing recorded says why this supplier failed
        return Response(resp.json(), status=status.HTTP_201_CREATED)  # quiet: raise_for_status ran before the read


class SupplierCatalogView(APIView):
    def get(self, request, supplier_id):
        supplier = get_object_or_404(Supplier, pk=supplier_id)  # quiet: DRF's get_object_or_404 answers 404
        try:
            resp = supplier_http.get(f"{supplier.api_url}/catalog", timeout=10)
            resp.raise_for_status()
            items = resp.json()["items"]
        except (requests.RequestException, ValueError, KeyError) as exc:
            logger.error(str(exc))  # expect: lost-traceback-log -- the record is str(exc) alone: "'items'" for a KeyError, no response body for an HTTPError, no supplier id and no traceback, so the 502 cannot be diagnosed
            return Response({"error": "supplier catalogue unavailable"}, status=status.HTTP_502_BAD_GATEWAY)
        return Response({"supplier": supplier.pk, "items": items})


class ReservationView(APIView):
    def post(self, request):
        serializer = ReservationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with transaction.atomic():
                item = StockItem.objects.select_for_update().get(pk=data["stock_item_id"])  # expect: unhandled-external-call -- the surrounding try only catches IntegrityError: an unknown stock item raises StockItem.DoesNotExist, which DRF does not translate, so the client gets a 500 instead of a 404
                if item.quantity < data["quantity"]:
                    return Response({"error": "insufficient stock"}, status=status.HTTP_409_CONFLICT)
                item.quantity = F("quantity") - data["quantity"]
                item.save(update_fields=["quantity"])
                reservation = Reservation.objects.create(stock_item=item, order_ref=data["order_ref"], quantity=data["quantity"])  # quiet: database infrastructure failures of an ORM write are not reported; the unique order_ref violation is answered 409 below
        except IntegrityError:  # quiet: the unique order_ref already holds a reservation; answered 409, not swallowed
            return Response({"error": "order already has a reservation"}, status=status.HTTP_409_CONFLICT)
        return Response({"id": reservation.pk}, status=status.HTTP_201_CREATED)


class ReservationViewSet(viewsets.GenericViewSet):
    queryset = Reservation.objects.select_related("stock_item")

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a reservation: the fulfilment centre drops the pick, then the stock is returned."""
        reservation = self.get_object()  # quiet: get_object answers 404 for an unknown pk
        try:
            resp = requests.post(f"{FULFILMENT_URL}/picks/{reservation.order_ref}/cancel", timeout=5)
            resp.raise_for_status()
        except requests.RequestException:  # expect: silent-except -- the fulfilment centre never dropped the pick, yet the view returns the stock and answers 204: the parcel ships anyway and the units are counted twice
            logger.exception("pick cancel failed for %s", reservation.order_ref)  # quiet: the swallow is reported once, on the except line
        with transaction.atomic():
            StockItem.objects.filter(pk=reservation.stock_item_id).update(quantity=F("quantity") + reservation.quantity)  # quiet: a queryset update(): no not-found mode, and database infrastructure failures are left to Django's 500
            reservation.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
