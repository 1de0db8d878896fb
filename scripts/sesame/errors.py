"""The errors sesame reports: each is one line saying what is wrong and how to fix it.

Exit codes: 0 done, 1 failed (FatalError, TerraformError), 2 bad input (ConfigError),
3 locked by another run (LockedError), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations


class FatalError(RuntimeError):
    """Something went wrong; the message is the one line the user sees. Exit 1.

    `detail` (optional) is printed after that line: a tool's own words, for the curious."""

    exit_code = 1

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class ConfigError(FatalError):
    """Bad input (configuration, secrets file, arguments): nothing was run. Exit 2."""

    exit_code = 2


class SecretsError(ConfigError):
    """secrets.yaml is missing a key, not encrypted, or the age key cannot open it."""


class TerraformError(FatalError):
    """Terraform failed; its diagnostics were already shown verbatim."""


class LockedError(FatalError):
    """Another run holds a lock (this checkout's work dir, or the Terraform state). Exit 3."""

    exit_code = 3
