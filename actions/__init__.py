"""Rasa custom actions: a thin adapter from the conversation to ``bot.conversation``.

The core reads each message once and decides which workflow answers it (outcome, steps,
status, guidance, step-down checklist, ladder, disagreement: ``bot/conversation/``), so
every intent leads to one action here, ``action_respond``; ``action_restart`` answers
"/restart". ``common`` holds the plumbing (who is speaking, the state kept in slots,
sending a Reply, turning failures into a clear message). No SQL here.
"""
