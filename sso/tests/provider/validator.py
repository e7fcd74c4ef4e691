from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    """ID token and userinfo carry e-mail, its verification, names and the user's groups."""

    # Every claim below goes out whatever the scopes (a provider configured to always send groups).
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        user = request.user
        person = getattr(user, "person", None)
        return {
            "email": user.email,
            "email_verified": bool(person and person.email_verified),
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
