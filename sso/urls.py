from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("login/", views.AuthenticateView.as_view(), name="login"),
    path("callback/", views.CallbackView.as_view(), name="callback"),
]
