from __future__ import annotations

from pathlib import Path

from sesame import output, recipients


def recipients_cmd(top: Path, action: str, key: str) -> int:
    """Add or remove an age recipient; re-encrypt both files with a fresh data key."""
    # Read before the change: with the key removed, this is what it could have seen.
    exposed = recipients.readable_senders(top) if action == "remove" else []
    files, now = recipients.change(top, action, key)
    names = ", ".join(f.name for f in files) or "no encrypted file yet"
    verb = "added" if action == "add" else "removed"
    output.write_line(
        f"recipient {verb}; re-encrypted with a fresh data key: {names}; "
        f"{len(now)} recipient(s) in .sops.yaml"
    )
    if action == "remove":
        output.write_line(
            "the removed key could read secrets.yaml (AWS, Cloudflare and R2 keys: rotate "
            "them at their providers) and earlier copies of these files"
        )
        if exposed:
            output.write_line(
                f"and the credentials of {', '.join(exposed)}; rotate them: "
                f"sesame rotate {' '.join(exposed)} (then plan, apply, rotate --retire)"
            )
    return 0
