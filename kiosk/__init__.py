"""Lengkap: an offline-first field verification kiosk for Indonesian social-aid programs."""

__version__ = "0.1.0"
