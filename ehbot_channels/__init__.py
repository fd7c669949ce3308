"""Rasa input channels ehbot runs in the Rasa server (not in ``bot/``, which imports
nothing from Rasa). ``ehbot run`` names them in the credentials file it writes
(``bot/credentials.py``); see docs/slack-and-teams.md."""
