from django.conf import settings
from django.db import models


class Person(models.Model):
    """What the provider says about a user beyond Django's own fields."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    email_verified = models.BooleanField(default=True)
