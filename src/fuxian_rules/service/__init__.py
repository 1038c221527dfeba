"""The HTTP service (optional extra ``service``): contract §5 over FastAPI and uvicorn, backed by the ledger.

Importing this package imports nothing heavy; :func:`fuxian_rules.service.app.create_app` builds the
application, and ``fuxian-rules serve`` runs it.
"""
