"""
ASGI config for gradesys project.

It exposes the ASGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/asgi/
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gradesys.settings')

application = get_asgi_application()

# A server's process, not a script's: the collector set for many allocations per request.
from gradesys.warmup import tune_garbage_collector  # noqa: E402  (after Django is set up)

tune_garbage_collector()
