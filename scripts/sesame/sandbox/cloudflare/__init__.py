"""Sesame's own Cloudflare API v4 emulator: zones and DNS records (no emulator exists):
models.py holds the state, routes.py the Flask app (`create_app`)."""
