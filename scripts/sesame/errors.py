"""The errors sesame reports: each is one line saying what is wrong and how to fix it."""

from __future__ import annotations


class FatalError(RuntimeError):
    """Something went wrong; the message is the one line the user sees. Exit 1."""

    exit_code = 1


class ConfigError(FatalError):
    """Bad input (configuration, secrets file, arguments): nothing was run. Exit 2."""

    exit_code = 2


class SecretsError(ConfigError):
    """secrets.yaml is missing a key, not encrypted, or the age key cannot open it."""


class TerraformError(FatalError):
    """Terraform failed; its diagnostics were already shown verbatim."""


class GateError(FatalError):
    """A policy gate refused the plan about to be applied (production); nothing was applied."""

    exit_code = 4
