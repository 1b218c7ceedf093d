"""Paging and configuration checks of a Django back office."""
from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator


class OrderPaginator(Paginator):
    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer")  # quiet: the paginating view catches it and answers a 404 or the first page; nobody ever sees a cause
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number


def export_storage() -> dict:
    try:
        return settings.STORAGES["exports"]
    except KeyError:
        raise ImproperlyConfigured("STORAGES needs an 'exports' entry for the order exports")  # quiet: a set-up refusal that says what to configure; the KeyError adds nothing


def payment_backend(path: str):
    try:
        return import_module(path)
    except ImportError:
        raise ImproperlyConfigured(f"the payment backend {path} could not be imported")  # expect: unchained-translation -- the ImportError may come from the backend's own broken import, and without `from` the traceback reads as a second failure rather than the cause
