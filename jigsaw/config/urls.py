from django.urls import include, path

from jigsaw.config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("jigsaw.core.urls")),
    path("", include("jigsaw.records.urls")),
    path("", include("jigsaw.access.urls")),
    path("", include("jigsaw.oversight.urls")),
    path("", include("jigsaw.casework.urls")),
    path("", include("jigsaw.identity.urls")),
]
