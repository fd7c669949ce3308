""""How is my team doing on timescales?": the timescales most in need of attention over the
cases the practitioner may see (a team manager: their team's), with the command for the rest."""
from __future__ import annotations

from bot import access, timeliness
from bot.conversation import wording
from bot.conversation.cases import user_of
from bot.conversation.reply import Reply


def summary(session, username) -> Reply:
    user = user_of(session, username)
    if not access.active(user):
        return Reply(wording.UNKNOWN_USER)
    team = user.team.name if access.leads_team(user) else None
    report = timeliness.for_reader(session, user.username, team=team)
    return Reply(wording.timeliness_summary(report, report.needing_attention(3), user.username))
