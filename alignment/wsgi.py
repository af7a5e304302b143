"""WSGI entry point (gunicorn alignment.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")

application = get_wsgi_application()
