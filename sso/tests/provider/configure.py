"""
Set up the test provider's database: `python -m sso.tests.provider.configure` with a JSON
document on standard input, run with the provider's settings module.

{"client": {"client_id", "client_secret", "redirect_uris": [...], "post_logout_redirect_uris": [...]},
 "users": [{"username", "password", "email", "email_verified", "groups": [...]}]}

Each key is optional; users and the client are created or brought to exactly what is given.
"""

import json
import sys

import django


def main() -> None:
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    from sso.tests.provider.models import Person

    call_command("migrate", run_syncdb=True, verbosity=0)
    wanted = json.load(sys.stdin)
    client = wanted.get("client")
    if client:
        application = Application.objects.filter(client_id=client["client_id"]).first() or Application(
            client_id=client["client_id"]
        )
        application.name = "gradesys"
        application.client_secret = client["client_secret"]
        application.client_type = Application.CLIENT_CONFIDENTIAL
        application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        application.algorithm = Application.RS256_ALGORITHM
        application.redirect_uris = " ".join(client["redirect_uris"])
        application.post_logout_redirect_uris = " ".join(client.get("post_logout_redirect_uris", []))
        application.skip_authorization = True
        application.save()
    for entry in wanted.get("users", []):
        user = User.objects.filter(username=entry["username"]).first() or User(username=entry["username"])
        user.email = entry.get("email", "")
        user.first_name = entry.get("first_name", "")
        user.last_name = entry.get("last_name", "")
        user.set_password(entry["password"])
        user.save()
        Person.objects.update_or_create(user=user, defaults={"email_verified": entry.get("email_verified", True)})
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in entry.get("groups", [])])


if __name__ == "__main__":
    main()
