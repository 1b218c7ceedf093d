"""orders-service: takes orders, charges them through the payment gateway, refunds them."""

__version__ = "0.4.0"
