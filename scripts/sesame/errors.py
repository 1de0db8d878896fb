"""The errors sesame reports: each is one line saying what is wrong and how to fix it.

Each class carries its exit code; `EXIT_CODES` is the one table (docs/exit-codes.md and
`sesame --help` print it). No code means two things: 2 is only "changes present", from
`plan --detailed-exitcode` (and `drift`: drift found, the same question of a refresh).
"""

from __future__ import annotations

import sys

OK = 0
CHANGES = 2  # plan --detailed-exitcode: the plan has changes (never an error)
INTERRUPTED = 130  # Ctrl-C / SIGINT (128 + 2, the shell's convention)


class FatalError(RuntimeError):
    """Something went wrong; the message is the one line the user sees.

    `detail` (e.g. Terraform's own text) is printed after that line, for the curious.
    """

    exit_code = 1

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class ConfigError(FatalError):
    """Bad input: the configuration file or the command line. Nothing was run."""

    exit_code = 3


class UsageError(ConfigError):
    """The command line itself (unknown verb, bad option): argparse's errors."""


class SecretsError(FatalError):
    """secrets.yaml is missing a key, not encrypted, or the age key cannot open it."""

    exit_code = 4


class PreflightError(FatalError):
    """A read-only check of the live world refused before any change (zones, SPF, DMARC)."""

    exit_code = 5


class GateError(FatalError):
    """A policy gate refused the plan about to be applied (destroy, weaker DMARC, digest)."""

    exit_code = 6


class InternalError(FatalError):
    """Anything unexpected: a bug or an unhandled outside failure (see --debug)."""

    exit_code = 7


class StalePlanError(GateError):
    """A reviewed plan Terraform refuses as stale (state changed since): plan again. Its own
    code, so a pipeline can tell it from a wrong digest or a gate and re-plan for approval."""

    exit_code = 8


class TerraformError(FatalError):
    """Terraform failed; its diagnostics were already shown verbatim."""


class LockedError(FatalError):
    """Another run holds a lock: this checkout's work dir (another sesame command), or the
    Terraform state (the line names who and since when, and `sesame state unlock`)."""

    exit_code = 9


def unreachable(exc: BaseException) -> str | None:
    """If `exc` is "could not connect" from an SDK sesame uses: which service, in words.

    Looked up in sys.modules so that this module imports neither SDK.
    """
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is not None and isinstance(
        exc,
        botocore.ConnectionError | botocore.ReadTimeoutError,  # endpoint, proxy, timeouts
    ):
        kwargs = getattr(exc, "kwargs", {})
        if kwargs.get("proxy_url"):
            return f"cannot reach the proxy {kwargs['proxy_url']}"
        return f"cannot reach {kwargs.get('endpoint_url') or 'the endpoint'}"
    cloudflare = sys.modules.get("cloudflare")
    if cloudflare is not None and isinstance(exc, cloudflare.APIConnectionError):
        return "cannot reach the Cloudflare API"
    return None


# Error codes AWS answers when the caller's identity may not make a call (IAM User Guide,
# "Troubleshooting access denied error messages"; SNS says AuthorizationError).
_AWS_REFUSALS = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)


def refused(exc: BaseException) -> str | None:
    """If `exc` is a cloud API refusing sesame's credentials: the one line saying so and how
    to fix it (without "sesame: "); None otherwise. Looked up in sys.modules, as above."""
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is not None and isinstance(exc, botocore.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code not in _AWS_REFUSALS:
            return None
        message = " ".join(str(error.get("Message", "")).split())[:300]
        if code.startswith(("AccessDenied", "Authorization", "Unauthorized")):
            fix = (
                "give the AWS identity in secrets.yaml the policy `sesame admin-policy` prints "
                "(`--read-only` for plan-only keys; docs/iam.md)"
            )
        else:
            fix = "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in secrets.yaml (`doctor`)"
        return f"AWS refused {exc.operation_name} ({code}: {message}); fix: {fix}"
    cloudflare = sys.modules.get("cloudflare")
    if cloudflare is not None and isinstance(
        exc, cloudflare.PermissionDeniedError | cloudflare.AuthenticationError
    ):
        return (
            f"Cloudflare refused the token ({exc.status_code}); fix: give CLOUDFLARE_API_TOKEN "
            "Zone:Read and DNS:Edit on the configured zones (`sesame doctor` checks it)"
        )
    return None


def is_throttling_code(code: str) -> bool:
    """Whether AWS's error `code` means a throttled call: botocore's standard retry mode
    decides (botocore.retries.standard.ThrottledRetryableChecker, its one list of such
    codes; SES v2 says TooManyRequestsException). Imported here only when asked."""
    from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

    context = RetryContext(attempt_number=1, parsed_response={"Error": {"Code": code}})
    return bool(ThrottledRetryableChecker().is_retryable(context))


def throttled(exc: BaseException) -> str | None:
    """If `exc` is AWS still throttling a call after every retry, or Cloudflare refusing a
    token over its API limit: the one line saying so and what to do (without "sesame: ");
    None otherwise. Looked up in sys.modules, as above."""
    cloudflare = sys.modules.get("cloudflare")
    if cloudflare is not None and isinstance(exc, cloudflare.RateLimitError):
        after = exc.response.headers.get("Retry-After")
        wait = f"{after} s" if after else "a few minutes"
        return (
            f"Cloudflare refused the call with HTTP 429: the token is over its API limit "
            f"({exc.response.headers.get('Ratelimit-Policy') or '1,200 per 5 minutes'}), "
            f"counted across every tool and the dashboard, and is blocked for {wait}; fix: "
            "wait that long and run again; plan fewer domains per run (shards, docs/scale.md)"
        )
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is None or not isinstance(exc, botocore.ClientError):
        return None
    code = str(exc.response.get("Error", {}).get("Code", ""))
    if not is_throttling_code(code):
        return None
    attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
    return (
        f"AWS kept throttling {exc.operation_name} ({code}) through {attempts} attempts: the "
        "account's API rate is used up (by this run or others); fix: run the command again "
        "later, or ask AWS for a higher rate (Service Quotas, docs/scale.md)"
    )


EXIT_CODES: tuple[tuple[int, str], ...] = (
    (OK, "success; for plan: no changes"),
    (FatalError.exit_code, "failed: Terraform, a cloud API, or a check (doctor, verify) failed"),
    (CHANGES, "plan --detailed-exitcode: the plan has changes; drift: drift found"),
    (ConfigError.exit_code, "configuration or command-line error; nothing was run"),
    (SecretsError.exit_code, "secrets error: secrets.yaml missing, unencrypted, undecryptable"),
    (
        PreflightError.exit_code,
        "preflight refused (zone, SPF, DMARC as found; Cloudflare API quota); nothing changed",
    ),
    (GateError.exit_code, "a gate refused the plan (destroy, weaker DMARC, digest); not applied"),
    (InternalError.exit_code, "unexpected internal error; rerun with --debug for the traceback"),
    (
        StalePlanError.exit_code,
        "apply --plan: the reviewed plan is stale (state changed); plan again",
    ),
    (
        LockedError.exit_code,
        "locked by another run (a command in this checkout, or the state); nothing was run",
    ),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
)


def exit_code_table() -> str:
    """The table as plain text, for `sesame --help`."""
    return "exit codes:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES)
