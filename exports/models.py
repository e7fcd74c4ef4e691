"""The exports app has no tables of its own: it reads the grades and reviews tables.

This module exists so that Django sends the app its post_migrate signal, after
which the analytics views are re-created (see analytics.py).
"""
