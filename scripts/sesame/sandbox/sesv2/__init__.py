"""Sesame's own Amazon SES v2 API emulator (moto covers too little of SES v2)."""

from .models import SesV2Backend
from .routes import create_app

__all__ = ["SesV2Backend", "create_app"]
