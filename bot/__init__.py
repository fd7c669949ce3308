"""ehbot's core: guidance packs, pathway evaluator, calendar, case database.

Nothing here imports Rasa; the chat layer in ``actions/`` adapts these calls.
"""
