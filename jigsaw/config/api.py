"""The JSON API: one Ninja instance, OpenAPI docs at /api/docs."""

from ninja import NinjaAPI

from jigsaw.identity.api import router as identity_router
from jigsaw.oversight.api import router as oversight_router
from jigsaw.records.api import router as records_router
from jigsaw.risk.api import router as risk_router

api = NinjaAPI(
    title="Jigsaw API",
    version="1",
    description="Multi-agency child safeguarding: agency exchange format v1 and more.",
    docs_url="/docs",
    urls_namespace="api",
)
api.add_router("/v1", records_router)
api.add_router("/v1", identity_router)
api.add_router("/v1", risk_router)
api.add_router("/v1", oversight_router)
