"""Reminders to teams' channels: what is due soon, due today, overdue or to escalate.

The scanner records reminders in an outbox (the ``reminders`` table); the
sender posts them to Slack or Microsoft Teams exactly once. A post carries the
case reference, the step, dates, the rule and practitioners' handles: never a
child's or family member's name or details. Nothing here imports Rasa.
"""
