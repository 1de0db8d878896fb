"""sesame's command line: `main(argv) -> int`, one function per verb (pre-commit's shape)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from sesame import __version__, config, output, process
from sesame.error_handler import Exit, error_handler
from sesame.errors import ConfigError, UsageError, exit_code_table
from sesame.target import ENVIRONMENTS


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the fix, with the table's usage code
    (argparse's own is 2, which means "changes")."""

    def error(self, message: str) -> NoReturn:
        fix = f"fix: see `{self.prog} --help`"
        self.exit(UsageError.exit_code, f"sesame: error: {message}; {fix}\n")


def _common(p: argparse.ArgumentParser, *, root: bool = False) -> None:
    """--config/--env, accepted before the verb (the Makefile's order) and after it.

    The root parser holds the defaults; each verb's copy defaults to SUPPRESS, so a value
    given before the verb is not clobbered by the verb's parser.
    """
    p.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("SESAME_CONFIG", "sesame.yaml")) if root else argparse.SUPPRESS,
        help="configuration file (default: sesame.yaml, or $SESAME_CONFIG)",
    )
    p.add_argument(
        "--env",
        choices=ENVIRONMENTS,
        default=os.environ.get("SESAME_ENV", "sandbox") if root else argparse.SUPPRESS,
        help="where to run: the local sandbox (default, or $SESAME_ENV) or production",
    )


def _config_only(p: argparse.ArgumentParser) -> None:
    """--config after the verb, for a verb that edits the file and reaches no target."""
    p.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="configuration file to edit (default: sesame.yaml, or $SESAME_CONFIG)",
    )


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="Terraform's event stream as JSON lines")


def _shards(p: argparse.ArgumentParser, *, read_only: bool = False) -> None:
    """Which shards to run (a configuration with `shards:`; docs/scale.md#shards); with
    `read_only`, also --read-only (plan and drift: the plan-only credential set)."""
    if read_only:
        p.add_argument(
            "--read-only",
            action="store_true",
            help="with the plan-only credentials (secrets.plan.yaml), without the state lock",
        )
    g = p.add_argument_group("shards")
    g.add_argument("--shard", metavar="S", help="only shard S (its own state, run and lock)")
    g.add_argument(
        "--all-shards",
        action="store_true",
        help="every shard (the default for a configuration with shards)",
    )
    g.add_argument(
        "--changed-since",
        metavar="REF",
        help="only the shards whose inputs differ from sesame.yaml at git REF (e.g. origin/main)",
    )
    g.add_argument(
        "--parallel",
        type=int,
        default=4,
        metavar="N",
        help="shards run at once (default 4); they share the SES write rate",
    )


def _chosen_shards(args: argparse.Namespace, cfg: config.Config) -> list[str] | None:
    from sesame import shards

    if args.parallel < 1:
        raise ConfigError(f"--parallel {args.parallel}: fix: at least 1")
    return shards.select(
        cfg, args.config, shard=args.shard, all_shards=args.all_shards, since=args.changed_since
    )


def _fanned_out(args: argparse.Namespace, cfg: config.Config) -> dict[str, Any]:
    """The options plan, apply and drift share: output mode, the shards chosen, parallelism."""
    return {
        "json_mode": args.json,
        "shard_names": _chosen_shards(args, cfg),
        "parallelism": args.parallel,
    }


def _reviewed_shard(args: argparse.Namespace, cfg: config.Config) -> str | None:
    """A reviewed plan is one state's: with shards, name it (each has its own digest)."""
    if cfg.shards is None:
        _chosen_shards(args, cfg)  # refuses shard options without shards
        return None
    if args.shard is None or args.all_shards or args.changed_since:
        raise ConfigError(
            "--plan applies one shard's reviewed plan; fix: add --shard S and pass that "
            "shard's plan (<out>/S.plan.age) and digest"
        )
    _chosen_shards(args, cfg)
    return args.shard


def gitops_author() -> str:
    """Whose plan comment is trusted: the workflow's identity (an App sets its own)."""
    return os.environ.get("SESAME_PLAN_AUTHOR") or "github-actions[bot]"


def parser() -> argparse.ArgumentParser:
    root = _Parser(
        prog="sesame",
        description=(
            "Amazon SES v2 sending domains (DKIM, SPF, DMARC in Cloudflare DNS) and\n"
            "least-privilege senders, as code: plan, review, apply. The sandbox is the\n"
            "default target; production is --env production."
        ),
        epilog=exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--version", action="version", version=f"sesame {__version__}")
    _common(root, root=True)
    _debug(root, root=True)
    verbs = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    verbs.add_parser("setup", help="write the Terraform CLI configuration (provider mirrors)")

    p = verbs.add_parser("init", help="make a team age key, .sops.yaml and secrets.yaml")
    p.add_argument("--age-key-file", type=Path, default=None)
    p.add_argument("--force", action="store_true", help="overwrite .sops.yaml and secrets.yaml")
    p.add_argument("--dir", type=Path, default=Path("."), help="where to write (default: .)")
    keys = p.add_mutually_exclusive_group()
    keys.add_argument(
        "--plan-key",
        action="store_true",
        help="the plan-only set: print a new age key (pipe it into `gh secret set`) and write "
        "secrets.plan.yaml for it",
    )
    keys.add_argument(
        "--apply-key",
        action="store_true",
        help="the apply set: print a new age key and add it to secrets.yaml's recipients",
    )

    p = verbs.add_parser("secrets", help="who can open secrets.yaml and credentials.yaml")
    sub = p.add_subparsers(dest="secrets_command", required=True, metavar="SUBCOMMAND")
    r = sub.add_parser("recipients", help="add or remove a team member's age public key")
    r.add_argument("action", choices=("add", "remove"))
    r.add_argument("key", metavar="AGE_PUBLIC_KEY")
    r.add_argument("--dir", type=Path, default=Path("."), help="where .sops.yaml is (default: .)")

    p = verbs.add_parser("validate", help="check the configuration file and stop")
    _common(p)

    p = verbs.add_parser("plan", help="plan every change (saved in the private work dir)")
    _common(p)
    _json(p)
    p.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when changes")
    p.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write report.md, report.html and report.json there",
    )
    p.add_argument(
        "--report-link",
        metavar="URL",
        default="report.html",
        help="where report.md sends readers for what it folds (default: report.html)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="export the plan, age-encrypted")
    _shards(p, read_only=True)

    p = verbs.add_parser("apply", help="plan and apply that saved plan, then write credentials")
    _common(p)
    _json(p)
    p.add_argument("--plan", type=Path, metavar="FILE", help="apply this exported plan instead")
    p.add_argument("--expect-digest", metavar="D", help="the reviewed plan's digest (with --plan)")
    p.add_argument(
        "--allow-destroy",
        action="store_true",
        help="gate: allow deleting identities, records and senders",
    )
    p.add_argument("--allow-weaker-dmarc", action="store_true", help="gate: allow a weaker DMARC")
    _shards(p)

    p = verbs.add_parser("destroy", help="remove everything sesame made")
    _common(p)
    _json(p)
    p.add_argument("--yes", action="store_true", help="required in production")

    p = verbs.add_parser("credentials", help="list senders, or export one for an app")
    _common(p)
    p.add_argument("sender", nargs="?")
    p.add_argument(
        "--format",
        choices=("env", "yaml", "json", "k8s"),
        help="one sender's form (default env); k8s: a Kubernetes Secret manifest (the sender's "
        "export names)",
    )
    p.add_argument("--reveal", action="store_true", help="print secret values")

    p = verbs.add_parser("records", help="print the DNS records a domain needs (dns: manual)")
    _common(p)
    p.add_argument("domain")
    p.add_argument("--format", choices=("table", "bind", "json"), default="table")

    p = verbs.add_parser(
        "domain", help="add or remove a domain in sesame.yaml (comments and order kept)"
    )
    sub = p.add_subparsers(dest="domain_command", required=True, metavar="SUBCOMMAND")
    r = sub.add_parser("add", help="add DOMAIN, then print its records (`records --format json`)")
    _config_only(r)
    r.add_argument("domain")
    r.add_argument("--dns", choices=("cloudflare", "manual"), help="who publishes its records")
    r.add_argument("--shard", metavar="S", help="the state shard it belongs to")
    r.add_argument("--zone", metavar="Z", help="its Cloudflare zone, when DOMAIN is below it")
    r = sub.add_parser("remove", help="remove DOMAIN (the next apply destroys what it had)")
    _config_only(r)
    r.add_argument("domain")

    p = verbs.add_parser(
        "status", help="SES's view: verification, DKIM, MAIL FROM, quota, reputation"
    )
    _common(p)
    p.add_argument("--json", action="store_true", help="one JSON document")

    p = verbs.add_parser("verify", help="check published DNS and each sender over SMTP")
    _common(p)
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.add_argument("--no-send", action="store_true", help="stop each SMTP check after AUTH")
    p.add_argument(
        "--max-key-age",
        metavar="AGE",
        help="fail on an active sender key older than this (e.g. 90d)",
    )

    p = verbs.add_parser("account", help="the SES account: request production access")
    sub = p.add_subparsers(dest="account_command", required=True, metavar="SUBCOMMAND")
    r = sub.add_parser("request-production", help="submit PutAccountDetails (shown first)")
    _common(r)
    r.add_argument("--use-case", type=Path, required=True, metavar="FILE")
    r.add_argument("--website", required=True, metavar="URL")
    r.add_argument("--mail-type", choices=("TRANSACTIONAL", "MARKETING"), default="TRANSACTIONAL")
    r.add_argument("--language", choices=("EN", "JA"), default="EN")
    r.add_argument("--contact", action="append", default=[], metavar="EMAIL")

    p = verbs.add_parser("drift", help="what changed outside sesame (exit 2 when drifted)")
    _common(p)
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.add_argument("--report", type=Path, metavar="DIR", help="write the review report there")
    _shards(p, read_only=True)

    p = verbs.add_parser("rotate", help="rotate senders' access keys through the reviewed plan")
    _common(p)
    p.add_argument("senders", nargs="*", metavar="SENDER")
    p.add_argument("--all", dest="every", action="store_true", help="every smtp/api sender")
    p.add_argument(
        "--retire",
        action="store_true",
        help="prove the new key, then deactivate (and on a second run delete) the previous",
    )

    p = verbs.add_parser("doctor", help="before apply: check every credential, one line each")
    _common(p)
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.add_argument(
        "--read-only",
        action="store_true",
        help="check the plan-only set (secrets.plan.yaml): reads work, writes are refused",
    )

    p = verbs.add_parser("admin-policy", help="print the least-privilege policy sesame needs")
    _common(p)
    p.add_argument("--account-id", help="AWS account ID (default: from STS)")
    p.add_argument(
        "--read-only", action="store_true", help="the plan-only policy (Get/List/Describe)"
    )

    p = verbs.add_parser("ci", help="the GitOps workflow's steps (docs/gitops.md)")
    steps = p.add_subparsers(dest="step", required=True, metavar="STEP")
    s = steps.add_parser("post-plan", help="post or update the pull request's plan comment")
    s.add_argument("--pr", type=int, required=True, help="pull request number")
    s.add_argument("--head", required=True, help="the head SHA the plan was made from")
    s.add_argument("--report", type=Path, required=True, metavar="DIR", help="`plan --report`")
    s.add_argument("--replan", action="store_true", help="a re-plan on main, for approval")
    s.add_argument("--author", default=gitops_author(), help=argparse.SUPPRESS)
    s = steps.add_parser("shards", help="the plan matrix: shards changed since the base ref")
    s.add_argument("--config", type=Path, default=Path("sesame.yaml"))
    s.add_argument("--changed-since", metavar="REF", help="the base branch, e.g. origin/main")
    s = steps.add_parser("combine", help="one report and digest over the shard plan reports")
    s.add_argument("--report", type=Path, required=True, metavar="DIR", help="report/<shard>/")
    s.add_argument("--report-link", default="report.html", metavar="URL")
    s = steps.add_parser("atlantis", help="write atlantis.yaml: one project per shard")
    s.add_argument("--config", type=Path, default=Path("sesame.yaml"))
    s.add_argument("--out", type=Path, default=Path("atlantis.yaml"), metavar="FILE")
    s.add_argument("--changed-since", metavar="REF", help="only the shards changed since REF")
    s = steps.add_parser("pick-plan", help="on merge: fetch the reviewed plan, or refuse")
    s.add_argument("--out", type=Path, default=Path("."), metavar="DIR")
    s.add_argument("--author", default=gitops_author(), help=argparse.SUPPRESS)
    s = steps.add_parser(
        "drift-issue", help="after `sesame drift`: open, update or close the one drift issue"
    )
    s.add_argument("--drift-exit", type=int, required=True, metavar="N", help="its exit status")
    s.add_argument("--found", type=Path, required=True, metavar="FILE", help="what it printed")
    s.add_argument("--report", type=Path, metavar="DIR", help="its --report directory")
    s.add_argument("--author", default=gitops_author(), help=argparse.SUPPRESS)

    p = verbs.add_parser(
        "state", help="list or restore state backups; remove a lock whose holder is gone"
    )
    _common(p)
    p.add_argument("action", choices=("backups", "restore", "unlock"))
    p.add_argument("backup", nargs="?", help="backup key to restore")
    p.add_argument("--force", action="store_true", help="unlock even if the holder may still run")
    p.add_argument("--shard", metavar="S", help="that shard's state (a configuration with shards)")

    # sandbox seed FILE… / sandbox reset: the rehearsal world (docs/sandbox.md)
    p = verbs.add_parser(
        "sandbox", help="seed the sandbox with existing zones and accounts, or reset it"
    )
    _common(p)
    p.add_argument("action", choices=("seed", "reset"))
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="zone exports, seed YAML")
    for verb in verbs.choices.values():
        _debug(verb)
    return root


def _debug(p: argparse.ArgumentParser, *, root: bool = False) -> None:
    p.add_argument(
        "--debug",
        action="store_true",
        default=False if root else argparse.SUPPRESS,
        help="on an unexpected error, print the traceback (or set SESAME_DEBUG=1)",
    )


def _run(args: argparse.Namespace) -> int:
    if args.command == "setup":
        from sesame.commands.setup import setup

        return setup()
    if args.command == "init":
        from sesame.commands.init import apply_key, init, plan_key

        if args.plan_key:
            return plan_key(args.dir.resolve(), args.force)
        if args.apply_key:
            return apply_key(args.dir.resolve())
        return init(args.dir.resolve(), args.age_key_file, args.force)

    if args.command == "secrets":
        from sesame.commands.secrets import recipients_cmd

        return recipients_cmd(args.dir.resolve(), args.action, args.key)
    if args.command == "ci":
        from sesame import gitops
        from sesame.commands import ci

        if args.step == "post-plan":
            marker = gitops.REPLAN_MARKER if args.replan else gitops.MARKER
            return ci.post_plan(args.pr, args.head, args.report, args.author, marker)
        if args.step == "drift-issue":
            return ci.drift_issue(args.drift_exit, args.found, args.report, args.author)
        if args.step == "shards":
            return ci.shards_cmd(args.config, args.changed_since)
        if args.step == "combine":
            return ci.combine(args.report, args.report_link)
        if args.step == "atlantis":
            return ci.atlantis(args.config, args.out, args.changed_since)
        return ci.pick_plan(args.out, args.author)

    if args.command == "domain":
        from sesame.commands import domain

        if args.domain_command == "add":
            return domain.add(
                args.config, args.domain, dns=args.dns, shard=args.shard, zone=args.zone
            )
        return domain.remove(args.config, args.domain)

    cfg = config.load(args.config)
    top = args.config.resolve().parent
    where = (cfg, top, args.env)  # what every verb below runs on
    if args.command == "validate":
        output.write_line(f"{args.config}: ok ({len(cfg.domains)} domain(s))")
        return 0
    if args.command == "plan":
        from sesame.commands.plan import Review, plan

        review = Review(args.report, args.report_link, args.out)
        return plan(
            *where,
            review,
            detailed_exitcode=args.detailed_exitcode,
            read_only=args.read_only,
            **_fanned_out(args, cfg),
        )
    if args.command == "apply":
        from sesame.commands.apply import apply

        if args.plan is not None:
            if not args.expect_digest:
                raise ConfigError("--plan needs --expect-digest D; fix: pass the reviewed digest")
            from sesame.commands.apply import apply_saved

            return apply_saved(
                *where,
                args.plan,
                args.expect_digest,
                json_mode=args.json,
                allow_destroy=args.allow_destroy,
                allow_weaker_dmarc=args.allow_weaker_dmarc,
                shard=_reviewed_shard(args, cfg),
            )
        return apply(
            *where,
            allow_destroy=args.allow_destroy,
            allow_weaker_dmarc=args.allow_weaker_dmarc,
            **_fanned_out(args, cfg),
        )
    if args.command == "destroy":
        from sesame.commands.destroy import destroy

        return destroy(*where, json_mode=args.json, yes=args.yes)
    if args.command == "credentials":
        from sesame.commands.credentials import show

        return show(*where, args.sender, fmt=args.format, reveal=args.reveal)
    if args.command == "records":
        from sesame.commands.records import show as show_records

        return show_records(*where, args.domain, args.format)
    if args.command == "status":
        from sesame.commands.status import status

        return status(*where, json_mode=args.json)
    if args.command == "verify":
        from sesame.commands.verify import verify

        return verify(
            *where, json_mode=args.json, send=not args.no_send, max_key_age=args.max_key_age
        )
    if args.command == "account":
        from sesame.commands.account import request_production

        return request_production(
            *where,
            use_case=args.use_case,
            website=args.website,
            mail_type=args.mail_type,
            language=args.language,
            contacts=args.contact,
        )
    if args.command == "drift":
        from sesame.commands.drift import drift

        return drift(
            *where, report_dir=args.report, read_only=args.read_only, **_fanned_out(args, cfg)
        )
    if args.command == "rotate":
        from sesame.commands.rotate import retire, rotate

        if args.retire:
            if args.every:
                raise ConfigError("--retire takes sender names or none (all); fix: drop --all")
            return retire(*where, args.senders)
        return rotate(cfg, top, args.senders, every=args.every)
    if args.command == "doctor":
        from sesame.commands.doctor import doctor

        return doctor(*where, json_mode=args.json, read_only=args.read_only)
    if args.command == "admin-policy":
        from sesame.commands.admin_policy import admin_policy_cmd

        return admin_policy_cmd(*where, args.account_id, args.read_only)
    if args.command == "state":
        from sesame import shards
        from sesame.commands.state import state

        if args.shard is None and shards.enabled(cfg):
            raise UsageError(
                f"state {args.action}: sesame.yaml has shards, each with its own state; fix: "
                f"add --shard S (one of {', '.join(shards.names(cfg))})"
            )
        part = cfg if args.shard is None else shards.view(cfg, args.shard)
        return state(part, top, args.env, args.action, args.backup, force=args.force)
    if args.command == "sandbox":
        from sesame.commands import sandbox

        if args.env != "sandbox":
            raise ConfigError(
                f"sandbox {args.action} acts only on the local sandbox, not {args.env}; "
                "fix: drop --env/SESAME_ENV for this command"
            )
        if args.action == "reset":
            return sandbox.reset(top)
        if not args.files:
            raise ConfigError("sandbox seed needs FILE…; fix: pass zone exports or seed YAML files")
        return sandbox.seed(cfg, top, args.files)
    raise NotImplementedError(args.command)


def _innermost(p: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)command's own parser: `sesame secrets recipients` for its arguments."""
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = getattr(args, action.dest, None)
            if chosen in action.choices:
                return _innermost(action.choices[chosen], args)
    return p


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; an argument no parser knows is refused by the (sub)command it
    was given to, so the fix names that command's --help (argparse names the root's)."""
    root = parser()
    args, extra = root.parse_known_args(argv)
    if extra:
        _innermost(root, args).error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    process.receive_interrupts()
    args = parse(argv)
    what = f"running `sesame {args.command}`"
    try:
        writes = args.command in ("apply", "destroy")
        with process.interrupts(), error_handler(what, debug=args.debug, writes_state=writes):
            rc = _run(args)
            process.raise_if_interrupted()  # a Ctrl-C Python dropped is still a Ctrl-C
            return rc
    except Exit as exc:
        return exc.code


if __name__ == "__main__":
    raise SystemExit(main())
