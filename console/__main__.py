"""`python -m console <command>`: run the console, manage staff and tokens, retention and deletion."""
from __future__ import annotations

import argparse
import getpass
import logging
import sys

from console.settings import ConsoleSettings
from console.staff import ROLE_ADMIN, ROLE_COORDINATOR, ROLES, StaffDirectory, StaffError, make_hasher
from intake.config import make_engine
from intake.migrate import ensure_schema
from privacy.logs import install as scrub_logs


def _read_password(args) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (12+ characters): ")
    if first != getpass.getpass("Repeat password: "):
        raise StaffError("the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console", description="Intake staff triage console")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the console (default 127.0.0.1:5080)")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    for name, help_text in (("create-admin", "create an admin account (e.g. the first one)"),
                            ("add-staff", "add a staff account"),
                            ("set-password", "set a staff member's password")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("username")
        p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
        if name == "add-staff":
            p.add_argument("--role", choices=ROLES, default=ROLE_COORDINATOR)
    for name in ("disable-staff", "enable-staff"):
        sub.add_parser(name, help=f"{name.split('-')[0]} a staff account").add_argument("username")
    sub.add_parser("list-staff", help="list staff accounts")
    token = sub.add_parser("create-token", help="create an API token for a clinic system")
    token.add_argument("name")
    purge = sub.add_parser("purge", help="delete inquiries and transcripts older than the retention period")
    purge.add_argument("--days", type=int, help="defaults to INTAKE_RETENTION_DAYS (180)")
    delete = sub.add_parser("delete", help="delete a person's data on request, everywhere")
    delete.add_argument("--conversation-id", help="one conversation: its inquiry and transcript")
    delete.add_argument("--phone", help="a phone number in any format: the SMS conversation from it, callbacks "
                                        "to it and every conversation that mentions it")
    delete.add_argument("--email", help="callbacks to this address and every conversation that mentions it")
    seed = sub.add_parser("seed-demo", help="add fictional demo inquiries (never on a real database)")
    seed.add_argument("--bulk", type=int, default=0, help="also add N generated inquiries")
    args = parser.parse_args(argv)
    scrub_logs()  # no personal data in logs (privacy/logs.py)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    settings = ConsoleSettings.from_env(serving=args.command == "run")
    if args.command == "run":
        from aiohttp import web

        from console.app import create_app

        web.run_app(create_app(settings), host=args.host or settings.host, port=args.port or settings.port,
                    access_log_format='%a "%r" %s %b %Tf')  # no referer or user agent
        return 0

    engine = make_engine(settings.intake_database_url)
    ensure_schema(engine)
    directory = StaffDirectory(engine, make_hasher(settings.argon2_time_cost, settings.argon2_memory_cost))
    try:
        if args.command in ("create-admin", "add-staff"):
            role = ROLE_ADMIN if args.command == "create-admin" else args.role
            member = directory.create(args.username, _read_password(args), role)
            from console import audit
            audit.record_now(engine, "cli", "staff_add", None, f"{member.username} ({member.role})")
            print(f"created {member.role} {member.username}")
        elif args.command == "set-password":
            directory.set_password(args.username, _read_password(args))
            print("password changed; existing sessions of this account are signed out")
        elif args.command in ("disable-staff", "enable-staff"):
            member = directory.set_active(args.username, args.command == "enable-staff")
            print(f"{member.username} is now {'active' if member.active else 'disabled'}")
        elif args.command == "list-staff":
            for m in directory.list():
                print(f"{m.username:24} {m.role:12} {'active' if m.active else 'disabled'}")
        elif args.command == "create-token":
            from console.tokens import create_token
            print(create_token(engine, args.name, "cli"))
        elif args.command in ("purge", "delete", "seed-demo"):
            from console.transcripts import TrackerTranscripts
            transcripts = TrackerTranscripts(settings.tracker_database_url)
            try:
                if args.command == "purge":
                    from console.retention import purge_expired
                    result = purge_expired(engine, transcripts, args.days or settings.retention_days)
                    print(f"purged {result.inquiries} inquiries and {result.transcript_events} transcript events")
                elif args.command == "delete":
                    from console.retention import delete_person
                    result = delete_person(engine, transcripts, conversation_id=args.conversation_id,
                                           phone=args.phone, email=args.email)
                    # the output names what was asked for, never the number or address itself
                    asked = [what for what, given in (("conversation id", args.conversation_id),
                                                      ("phone number", args.phone), ("email address", args.email)) if given]
                    print(f"deleted {result.inquiries} inquiries and {result.transcript_events} transcript events "
                          f"for the given {' and '.join(asked)}")
                else:
                    from console.demo import seed_bulk, seed_showcase
                    from intake.store import IntakeStore
                    store = IntakeStore(settings.intake_database_url)
                    seed_showcase(store, transcripts)
                    if args.bulk:
                        seed_bulk(engine, args.bulk)
                    print("fictional demo data added")
            finally:
                transcripts.close()
    except (StaffError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
