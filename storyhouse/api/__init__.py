"""The REST API under /api/: django-ninja routers over the services and selectors the pages use."""
