from django.contrib import admin
from django.urls import include, path

from heedful.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("heedful.api.urls")),
    path("portal/", include("heedful.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("heedful.web.urls")),
]
