from django.urls import path

from common import converters  # noqa: F401  (registers <id:…>)

from . import views

app_name = "api"

urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<id:pk>/revoke/", views.revoke, name="revoke"),
]
