from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from api.api import urls as api_urls
from sso import views as sso_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Sign-in and sign-out with the sign-in policy and the provider's button (sso/views.py).
    path("accounts/login/", sso_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", sso_views.LogoutView.as_view(), name="logout"),
    path("accounts/sso/", include("sso.urls")),
    # Password reset by e-mail: Django's views, limited (gradesys/password_reset.py), and
    # refused to accounts the sign-in policy keeps off passwords (sso/views.py).
    path("accounts/password_reset/", sso_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # Personal access tokens (made by their owner) and the API they open.
    path("accounts/tokens/", include("api.urls")),
    path("api/v1/", api_urls()),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("reviews/", include("reviews.urls")),
    path("exports/", include("exports.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("", include("grades.urls")),
]

# The refusals in the site's layout, with the reason the project gave (gradesys/errors.py).
handler400 = "gradesys.errors.bad_request"
handler403 = "gradesys.errors.permission_denied"
handler404 = "gradesys.errors.page_not_found"
