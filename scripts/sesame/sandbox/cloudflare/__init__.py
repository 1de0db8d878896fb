"""Sesame's own Cloudflare API v4 emulator: zones and DNS records (no emulator exists)."""

from .models import CloudflareBackend
from .routes import create_app

__all__ = ["CloudflareBackend", "create_app"]
