"""Shop frontend: the checkout routes (Flask blueprint), the catalog API (FastAPI router) and
the clients of the payments, inventory, shipping and reviews services that both share.

The clients document what they raise; the routes decide what the shopper is answered.
"""
