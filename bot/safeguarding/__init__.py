"""Disclosures of harm to a child, recognised before anything else reads a message.

``concern(text)`` says whether a message reports a new risk of significant harm or
immediate danger to a child (or a young person's risk to themselves), and of what
kind. It never keeps or returns the message's words. What it looks for is data
(``signals.yaml``), read once.
"""
from bot.safeguarding.detector import Concern, concern

__all__ = ["Concern", "concern"]
