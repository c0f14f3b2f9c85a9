from django.contrib import admin
from django.urls import include, path

from heedful.core import views as core_views
from heedful.mail import http_intake as mail_http_intake

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("heedful.api.urls")),
    path("mail/inbound", mail_http_intake.inbound, name="mail_inbound"),
    path("portal/", include("heedful.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("heedful.web.urls")),
]

# Pages a person meets by accident, in the product's look; JSON under /api/ (core/views.py).
handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
