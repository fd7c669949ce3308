"""Disclosures of harm to a child, recognised before anything else reads a message.

``concern(text)`` says whether a message reports a new risk of significant harm or
immediate danger to a child (or a young person's risk to themselves), and of what
kind. It never keeps or returns the message's words. ``worth_a_second_look(text)`` says
whether a message it lets pass still holds worrying words, for the NLU's second opinion. What it looks for is data
(``signals.yaml``), read once.
"""
from bot.safeguarding.detector import Concern, concern, worth_a_second_look

__all__ = ["Concern", "concern", "worth_a_second_look"]
