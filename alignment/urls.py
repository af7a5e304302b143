"""URL map: pages per app, the REST API under /api/v1/, schema and docs."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from alignment.api_docs import RedocView

urlpatterns = [
    path("", include("alignment.urls_pages")),
    # Browsers ask for it on their own, whatever a page links; static files are served by
    # WhiteNoise under their hashed names, looked up when asked.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.ico"))),
    path("campaigns/", include("campaigns.urls")),
    path("leads/", include("leads.urls")),
    path("f/", include("leads.web_form.urls")),
    path("handoffs/", include("handoffs.urls")),
    path("dashboard/", include("kpis.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("alignment.api_urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

handler400 = "alignment.errors.bad_request"
handler404 = "alignment.errors.not_found"
handler500 = "alignment.errors.server_error"
