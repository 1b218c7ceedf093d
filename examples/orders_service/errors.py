"""Domain errors. The API maps each one to a status code and an error code."""


class OrdersServiceError(Exception):
    status_code = 500
    code = "internal_error"


class OrderNotFound(OrdersServiceError):
    status_code = 404
    code = "order_not_found"


class PaymentError(OrdersServiceError):
    status_code = 502
    code = "payment_failed"


class PaymentDeclined(PaymentError):
    status_code = 402
    code = "payment_declined"

    def __init__(self, decline_code: str):
        super().__init__(f"card declined: {decline_code}")
        self.decline_code = decline_code


class PaymentGatewayUnavailable(PaymentError):
    status_code = 503
    code = "payment_gateway_unavailable"


class NotificationError(OrdersServiceError):
    code = "notification_failed"
