"""``ehbot``: the command line. Bad input gets one clear line and a non-zero exit."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Callable, Optional

from bot import clock
from bot.references import normalise_reference

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A message for the user; the exit is non-zero and there is no traceback."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-22") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("count working days forwards: give 0 or more")
    return value


# --- commands -----------------------------------------------------------------


def cmd_db_upgrade(args) -> int:
    from bot.db.migrate import upgrade

    url = upgrade()
    print(f"database is up to date ({_safe_url(url)})")
    return 0


def cmd_import(args) -> int:
    from bot import importer
    from bot.db.session import session_scope

    run = {"practitioners": importer.import_practitioners, "cases": importer.import_cases, "steps": importer.import_steps,
           "episodes": importer.import_episodes}
    with _database() as engine, session_scope(engine) as session:
        summary = run[args.kind](session, args.file)
    print(f"imported {args.kind} from {args.file}: {summary}")
    return 0


def cmd_case_show(args) -> int:
    from bot.db.repositories import CaseRepository
    from bot.db.session import session_scope
    from bot.pathways import evaluate
    from bot.render import pathway_data, pathway_text

    with _database() as engine, session_scope(engine) as session:
        case_file = CaseRepository(session).case_file(args.reference, viewer=args.user)
    view = evaluate(case_file)
    if args.json:
        print(json.dumps(pathway_data(view), indent=2))
    else:
        print(pathway_text(view, show_all=args.all))
    return 0


def cmd_case_close(args) -> int:
    from bot.db.episodes import EpisodeRepository
    from bot.db.session import session_scope

    with _database() as engine, session_scope(engine) as session:
        episode = EpisodeRepository(session).close_case(args.reference, args.on or clock.today(), args.reason, args.user)
    reference = normalise_reference(args.reference)
    print(f"{reference}: episode {episode.number} closed on {episode.closed_on}; its reminders stop")
    return 0


def cmd_case_reopen(args) -> int:
    from bot.db.episodes import EpisodeRepository
    from bot.db.session import session_scope

    with _database() as engine, session_scope(engine) as session:
        episode = EpisodeRepository(session).reopen_case(args.reference, args.on or clock.today(), args.reason,
                                                         args.user, args.pathway)
    reference = normalise_reference(args.reference)
    print(f"{reference}: reopened as episode {episode.number} on {episode.pathway}, from {episode.opened_on}")
    return 0


def cmd_case_move(args) -> int:
    from bot.db.episodes import EpisodeRepository
    from bot.db.session import session_scope

    with _database() as engine, session_scope(engine) as session:
        episode = EpisodeRepository(session).move_case(args.reference, args.to, args.on or clock.today(), args.user,
                                                       args.reason)
    reference = normalise_reference(args.reference)
    print(f"{reference}: moved to {episode.pathway} as episode {episode.number}, from {episode.opened_on}")
    return 0


def cmd_case_history(args) -> int:
    from bot.conversation import wording
    from bot.db.episodes import EpisodeRepository
    from bot.db.session import session_scope
    from bot.guidance import registry

    from bot.db.families import FamilyRepository

    with _database() as engine, session_scope(engine) as session:
        episodes = EpisodeRepository(session).episodes(args.reference, viewer=args.user)
        family = [c.reference for c in FamilyRepository(session).siblings(args.reference)]
    reference = normalise_reference(args.reference)
    print("\n".join(wording.history(reference, episodes, registry(), everything=True, family=family)))
    return 0


def cmd_case_link(args) -> int:
    from bot.db.families import FamilyRepository
    from bot.db.session import session_scope

    with _database() as engine, session_scope(engine) as session:
        family = FamilyRepository(session).link(args.references, args.user)
    print(f"linked as one family: {', '.join(family)}")
    return 0


def cmd_case_unlink(args) -> int:
    from bot.db.families import FamilyRepository
    from bot.db.session import session_scope

    with _database() as engine, session_scope(engine) as session:
        FamilyRepository(session).unlink(args.reference, args.user)
    print(f"{normalise_reference(args.reference)}: no longer linked to a family")
    return 0


def cmd_steps_list(args) -> int:
    from bot.guidance import registry

    reg = registry()
    if args.pathway:
        rule_ids = list(_pathway(reg, args.pathway).steps)
    else:
        rule_ids = [r for r in reg.rules if reg.rules[r].kind != "knowledge"]
    for rule_id in rule_ids:
        rule = reg.rule(rule_id)
        timescale = f" [{rule.timescale()}]" if rule.timescale() else ""
        print(f"{rule.id}  {rule.title}{timescale}  — {rule.citation.short()}")
    return 0


def cmd_pathways_list(args) -> int:
    from bot.guidance import registry

    for pathway in registry().pathways.values():
        print(f"{pathway.id}  {pathway.title}  ({len(pathway.steps)} steps; {pathway.citation.title})")
    return 0


def cmd_pathways_moves(args) -> int:
    from bot.guidance import registry

    for move in registry().moves.values():
        follows = f"; after {move.after}" if move.after else ""
        print(f"{move.id}  {', '.join(move.from_pathways)} -> {move.to}{follows}  [{move.citation.brief()}]")
    return 0


def cmd_packs_check(args) -> int:
    from bot.guidance.check import main as check

    return check()


def cmd_packs_situations(args) -> int:
    from bot.guidance import registry
    from bot.guidance.situations import check, load

    reg, failed = registry(), 0
    situations = load()
    for situation in situations:
        problems = check(situation, reg)
        failed += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '}  {situation.source}  {situation.name}")
        for problem in problems:
            print(f"        {problem}")
    if failed:
        raise CliError(f"{failed} of {len(situations)} situations do not hold")
    print(f"{len(situations)} situations hold")
    return 0


def cmd_packs_coverage(args) -> int:
    from bot.guidance.coverage import coverage_markdown
    from bot.guidance.loader import load_packs

    print(coverage_markdown(load_packs()), end="")
    return 0


def cmd_add_working_days(args) -> int:
    from bot.calendar import WorkingCalendar

    print(WorkingCalendar.from_config().add_working_days(args.date, args.n).isoformat())
    return 0


def cmd_demo_load(args) -> int:
    from bot.db.session import session_scope
    from bot.demo import load_demo

    with _database() as engine, session_scope(engine) as session:
        summary = load_demo(session)
    print(summary)
    return 0


def cmd_demo_history(args) -> int:
    from bot.db.session import session_scope
    from bot.demo_history import load_history

    with _database() as engine, session_scope(engine) as session:
        summary = load_history(session)
    print(summary)
    return 0


def cmd_report_timeliness(args) -> int:
    from pathlib import Path

    from bot import timeliness, timeliness_formats
    from bot.db.session import session_scope

    if args.start and args.end and args.start > args.end:
        raise CliError("--from must not be after --to")
    with _database() as engine, session_scope(engine) as session:
        try:
            report = timeliness.for_reader(session, args.user, args.team, args.start, args.end)
        except timeliness.UnknownReader as e:
            raise CliError(str(e)) from None
    if args.format == "png":
        return _timeliness_picture(timeliness_formats.html(report), args.out)
    text = {"table": timeliness_formats.table, "csv": timeliness_formats.csv,
            "html": timeliness_formats.html}[args.format](report)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"{args.format} report written to {out}")
    else:
        print(text)
    return 0


def _timeliness_picture(page: str, out: str | None) -> int:
    """The HTML page as headless Chromium draws it (the README's screenshot)."""
    import tempfile
    from pathlib import Path

    from bot import browser

    if not out:
        raise CliError("--format png needs --out FILE.png")
    with tempfile.TemporaryDirectory(prefix="ehbot-report-") as tmp:
        html_file = Path(tmp) / "timeliness.html"
        html_file.write_text(page, encoding="utf-8")
        try:
            browser.screenshot(html_file, Path(out))
        except browser.NoBrowser as e:
            raise CliError(str(e)) from None
    print(f"png report written to {out}")
    return 0


def cmd_run(args) -> int:
    from bot.run import run

    return run()


def cmd_chat(args) -> int:
    from bot.chatclient import chat

    return chat(args.url, args.user)


def cmd_remind(args) -> int:
    from bot.notify import worker

    with _database() as engine:
        if args.dry_run:
            print("\n".join(worker.dry_run(engine)))
            return 0
        if args.loop:
            with worker.stop_on_signals() as stop:
                rounds = worker.remind_loop(engine, stop, report=lambda line: print(line, flush=True))
            print(f"reminder worker stopped after {rounds} rounds")
            return 0
        scanned, sent = worker.remind_once(engine, full=args.full)
    print(f"{scanned}\n{sent}")
    return 0


def cmd_reminders_list(args) -> int:
    from bot.db.session import session_scope
    from bot.notify.outbox import Outbox

    with _database() as engine, session_scope(engine) as session:
        rows = Outbox(session).listed(failed_only=args.failed)
    if not rows:
        print("no failed reminders" if args.failed else "no reminders")
    for r in rows:
        where = f"{r.channel_kind} {r.destination}" if r.channel_kind else "-"
        when = f"sent {r.sent_at:%Y-%m-%d %H:%M} ({r.message_id})" if r.sent_at else (
            f"next try {r.next_attempt_at:%Y-%m-%d %H:%M}" if r.next_attempt_at and r.status == "pending" else "")
        error = f"  — {r.last_error}" if r.last_error and r.status != "sent" else ""
        print(f"{r.id:>5}  {r.status:<7}  {r.stage:<9}  {r.case_reference:<8}  {r.rule_id}  due {r.due_on}  "
              f"attempts {r.attempts}  {where}  {when}{error}".rstrip())
    return 0


def cmd_reminders_retry(args) -> int:
    from bot.db.session import session_scope
    from bot.notify.outbox import Outbox

    with _database() as engine, session_scope(engine) as session:
        row = Outbox(session).retry(args.id)
    print(f"reminder {row.id} is pending again; it goes with the next `ehbot remind`")
    return 0


def cmd_reminders_channel(args) -> int:
    from bot.db.session import session_scope
    from bot.notify.outbox import Outbox

    if args.slack is None and args.teams_webhook is None:
        raise CliError("say --slack CHANNEL_ID and/or --teams-webhook URL ('' clears one)")
    with _database() as engine, session_scope(engine) as session:
        team = Outbox(session).set_team_channel(args.team, args.slack, args.teams_webhook)
        slack, teams = team.slack_channel_id or "none", "set" if team.teams_webhook_url else "none"
    print(f"team {args.team}: Slack channel {slack}, Teams webhook {teams}")
    return 0


def cmd_reminders_weekly(args) -> int:
    from bot.db.session import session_scope
    from bot.notify import weekly

    with _database() as engine, session_scope(engine) as session:
        try:
            practitioner = weekly.set_opt_in(session, args.user, args.state == "on", actor=args.by)
        except LookupError as exc:
            raise CliError(str(exc)) from None
        no_slack = args.state == "on" and not practitioner.slack_user_id
    print(f"{args.user}: weekly message {args.state}"
          + (" (no Slack id is recorded, so none is sent until one is)" if no_slack else ""))
    return 0


def cmd_conversations_purge(args) -> int:
    from bot import retention

    try:
        purged = retention.purge(days=args.days)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(purged)
    return 0


# --- plumbing -----------------------------------------------------------------


def _pathway(reg, pathway_id):
    try:
        return reg.pathway(pathway_id)
    except KeyError:
        known = ", ".join(reg.pathways)
        raise CliError(f"no pathway {pathway_id!r}; known pathways: {known}") from None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class _database:
    """An engine on a migrated database, disposed of afterwards."""

    def __enter__(self):
        from bot.db.migrate import ensure_migrated
        from bot.db.session import make_engine

        self.engine = make_engine()
        ensure_migrated(self.engine)
        return self.engine

    def __exit__(self, *exc):
        self.engine.dispose()
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ehbot", description="Early help and social care pathways, deadlines and guidance.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="the case database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply database migrations").set_defaults(func=cmd_db_upgrade)

    imp = sub.add_parser("import", help="import a CSV file (all rows or none)")
    imp.add_argument("kind", choices=["practitioners", "cases", "steps", "episodes"])
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)

    case = sub.add_parser("case", help="one case").add_subparsers(dest="case_command", required=True)
    show = case.add_parser("show", help="the case's pathway: done, next, blocked, due and overdue")
    show.add_argument("reference")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.add_argument("--all", action="store_true", help="include steps that do not apply")
    show.add_argument("--user", default="cli", help="who is looking (recorded in the audit log)")
    show.set_defaults(func=cmd_case_show)
    close = case.add_parser("close", help="close the case's current episode: its steps and reminders stop")
    close.add_argument("reference")
    close.add_argument("--on", type=_date, help="the day it closed (default today)")
    close.add_argument("--reason", help="why, e.g. 'plan met' (kept on the case, never in the audit log)")
    close.add_argument("--user", help="the practitioner closing it (username)")
    close.set_defaults(func=cmd_case_close)
    reopen = case.add_parser("reopen", help="reopen a closed case after a re-referral: a new episode")
    reopen.add_argument("reference")
    reopen.add_argument("--on", type=_date, help="the day it reopened (default today)")
    reopen.add_argument("--reason", help="why, e.g. 're-referred by the school'")
    reopen.add_argument("--pathway", help="the new episode's pathway (default: the case's last one)")
    reopen.add_argument("--user", help="the practitioner reopening it (username)")
    reopen.set_defaults(func=cmd_case_reopen)
    move = case.add_parser("move", help="move the case where the guidance moves one (ehbot pathways moves)")
    move.add_argument("reference")
    move.add_argument("to", help="the pathway it moves to, or the move's id")
    move.add_argument("--on", type=_date, help="the day of the move (default today; some moves count from a step)")
    move.add_argument("--reason", help="why (kept on the case, never in the audit log)")
    move.add_argument("--user", help="the practitioner moving it (username)")
    move.set_defaults(func=cmd_case_move)
    link = case.add_parser("link", help="link siblings' cases as one family (a family's steps are offered for each)")
    link.add_argument("references", nargs="+", metavar="REF")
    link.add_argument("--user", help="the practitioner linking them (username)")
    link.set_defaults(func=cmd_case_link)
    unlink = case.add_parser("unlink", help="take a case out of its family")
    unlink.add_argument("reference")
    unlink.add_argument("--user", help="the practitioner (username)")
    unlink.set_defaults(func=cmd_case_unlink)
    hist = case.add_parser("history", help="every episode of the case, with what was recorded in each")
    hist.add_argument("reference")
    hist.add_argument("--user", default="cli", help="who is looking (recorded in the audit log)")
    hist.set_defaults(func=cmd_case_history)

    steps = sub.add_parser("steps", help="the rules").add_subparsers(dest="steps_command", required=True)
    slist = steps.add_parser("list", help="list the steps, with their timescales and citations")
    slist.add_argument("--pathway")
    slist.set_defaults(func=cmd_steps_list)

    pathways = sub.add_parser("pathways", help="the pathways").add_subparsers(dest="pathways_command", required=True)
    pathways.add_parser("list", help="list the active pathways").set_defaults(func=cmd_pathways_list)
    pathways.add_parser("moves", help="where the guidance moves a case between pathways").set_defaults(
        func=cmd_pathways_moves)

    packs = sub.add_parser("packs", help="the guidance packs").add_subparsers(dest="packs_command", required=True)
    packs.add_parser("check", help="check every citation against the documents").set_defaults(func=cmd_packs_check)
    packs.add_parser("situations", help="run the situations kept beside the packs (a case, a day, what is expected)"
                     ).set_defaults(func=cmd_packs_situations)
    packs.add_parser("coverage", help="each document section and the rules that encode it (markdown)").set_defaults(
        func=cmd_packs_coverage
    )

    cal = sub.add_parser("calendar", help="working days").add_subparsers(dest="calendar_command", required=True)
    awd = cal.add_parser("add-working-days", help="the date N working days after DATE (DATE is day 0)")
    awd.add_argument("date", type=_date)
    awd.add_argument("n", type=_count)
    awd.set_defaults(func=cmd_add_working_days)

    demo = sub.add_parser("demo", help="the fictional demo data").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("load", help="load the fictional demo data set (idempotent)").set_defaults(func=cmd_demo_load)
    demo.add_parser("history", help="add closed fictional cases of the past months, for the timeliness report "
                    "(idempotent)").set_defaults(func=cmd_demo_history)

    report = sub.add_parser("report", help="reports").add_subparsers(dest="report_command", required=True)
    tl = report.add_parser("timeliness", help="each timescale: how many fell due, met on time or late, overdue now; "
                           "by rule, worker and month")
    tl.add_argument("--as", dest="user", metavar="USER",
                    help="count only the cases USER may see, and list overdue ones (omitted: every case, no references)")
    tl.add_argument("--team", help="only this team's cases, e.g. 'Demo North Team'")
    tl.add_argument("--from", dest="start", type=_date, help="first due date counted (default: six months back)")
    tl.add_argument("--to", dest="end", type=_date, help="last due date counted (default: today)")
    tl.add_argument("--format", choices=("table", "csv", "html", "png"), default="table",
                    help="png: the HTML page as headless Chromium draws it (needs --out)")
    tl.add_argument("--out", metavar="FILE", help="write to FILE instead of the terminal")
    tl.set_defaults(func=cmd_report_timeliness)

    remind = sub.add_parser("remind", help="send reminders of what is due to the teams' channels")
    mode = remind.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="scan the open cases and send, once")
    mode.add_argument("--loop", action="store_true", help="keep doing so every EHBOT_REMIND_INTERVAL seconds")
    mode.add_argument("--dry-run", action="store_true", help="print what would be sent; write nothing")
    mode.add_argument("--full", action="store_true",
                      help="as --once, but evaluate every open case, not only those whose reminders can have changed")
    remind.set_defaults(func=cmd_remind)

    rem = sub.add_parser("reminders", help="the reminders sent and to send").add_subparsers(
        dest="reminders_command", required=True)
    rlist = rem.add_parser("list", help="recent reminders, newest first")
    rlist.add_argument("--failed", action="store_true", help="only those that failed")
    rlist.set_defaults(func=cmd_reminders_list)
    rretry = rem.add_parser("retry", help="put a failed reminder back in the queue")
    rretry.add_argument("id", type=int)
    rretry.set_defaults(func=cmd_reminders_retry)
    rchan = rem.add_parser("channel", help="set a team's Slack channel or Teams webhook")
    rchan.add_argument("team")
    rchan.add_argument("--slack", metavar="CHANNEL_ID")
    rchan.add_argument("--teams-webhook", metavar="URL")
    rchan.set_defaults(func=cmd_reminders_channel)
    rweek = rem.add_parser("weekly", help="a practitioner's direct message, each Monday, of what is due on "
                           "their cases that week (Slack)")
    rweek.add_argument("user")
    rweek.add_argument("state", choices=("on", "off"))
    rweek.add_argument("--by", metavar="USER", help="who made the change, for the audit trail (default: USER)")
    rweek.set_defaults(func=cmd_reminders_weekly)

    conv = sub.add_parser("conversations", help="the conversations' words kept by the assistant").add_subparsers(
        dest="conversations_command", required=True)
    purge = conv.add_parser("purge", help="delete or empty what is older than the retention period "
                            "(EHBOT_CONVERSATION_RETENTION_DAYS, 30 unless set)")
    purge.add_argument("--days", type=int, help="this many days instead of the setting")
    purge.set_defaults(func=cmd_conversations_purge)

    sub.add_parser("run", help="start the assistant with its embedded defaults").set_defaults(func=cmd_run)

    chat = sub.add_parser("chat", help="chat with the running assistant from this terminal (REST)")
    chat.add_argument("--as", dest="user", metavar="USER", help="a practitioner's username, e.g. sam.sw (omitted: an unknown user)")
    chat.add_argument("--url", default="http://127.0.0.1:5005", help="the Rasa server (default: %(default)s)")
    chat.set_defaults(func=cmd_chat)
    return parser


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean bad input or a missing service: one line, not a traceback."""
    from bot.calendar import WorkingCalendar  # noqa: F401  (ensures holidays loads)
    from bot.guidance.loader import PackError
    from bot.pathways import UnknownPathway

    errors: list[type[BaseException]] = [CliError, clock.ClockError, PackError, UnknownPathway, FileNotFoundError]
    try:
        from bot.db import errors as db_errors

        errors += list(db_errors.USER_FACING)
    except ImportError:
        pass
    try:
        from bot.notify.outbox import ReminderNotFound
        from bot.notify.settings import SettingError

        errors += [ReminderNotFound, SettingError]
    except ImportError:
        pass
    try:
        from bot.importer import ImportRejected

        errors.append(ImportRejected)
    except ImportError:
        pass
    return tuple(errors)


def main(argv: Optional[list[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable = args.func
    try:
        return func(args) or 0
    except _expected_errors() as exc:
        print(f"ehbot: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
