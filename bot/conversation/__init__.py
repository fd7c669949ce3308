"""The conversation's core: what a practitioner can ask and record in chat.

Front ends (Rasa's custom actions, the CLI, tests) call ``Conversation``; it
knows nothing of Rasa. Every method returns a ``Reply``.
"""
from bot.conversation.reply import Reply
from bot.conversation.service import CONCEPTS, Conversation

__all__ = ["CONCEPTS", "Conversation", "Reply"]
