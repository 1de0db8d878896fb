"""The sandbox's Amazon SES SMTP endpoint."""

from .server import SmtpServer

__all__ = ["SmtpServer"]
