"""The page where a person makes, sees and revokes their API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import TokenForm
from .models import ApiToken


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """GET: the person's tokens. POST: a new one, whose whole value this answer shows once."""
    form = TokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                made = services.token_create(
                    user=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"], by=request.user
                )
            except services.ApiRefused as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                new_token = made.plaintext
                form = TokenForm()
        else:
            status = 400
    listed = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    response = render(request, "api/tokens.html", {"form": form, "tokens": listed, "new_token": new_token}, status=status)
    return response


@login_required
@require_POST
def revoke(request, pk: int):
    # Only the person's own tokens are found here (an administrator revokes others' in admin).
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        services.token_revoke(token=token, by=request.user)
    except services.ApiRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("api:tokens")
