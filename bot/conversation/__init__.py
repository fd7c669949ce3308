"""The conversation's core: what a practitioner can ask and record in chat.

Front ends (Rasa's custom actions, the CLI, tests) call ``Conversation.respond`` with a
``Message`` and the ``State`` they kept; it knows nothing of Rasa. Every call returns a
``Reply``, whose ``slots()`` are what to keep for the next turn.
"""
from bot.conversation.reply import Reply
from bot.conversation.service import Conversation
from bot.conversation.state import Message, Proposal, Question, State
from bot.conversation.steps import CONCEPTS

__all__ = ["CONCEPTS", "Conversation", "Message", "Proposal", "Question", "Reply", "State"]
