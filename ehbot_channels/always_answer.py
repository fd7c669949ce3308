"""Every message gets an answer, even when part of ehbot is down.

When the action server cannot be reached (stopped, restarting, refusing connections),
Rasa 3.6 logs the failure, drops the action's events and carries on: the turn ends with
nothing said (``RemoteAction.run`` in rasa/core/actions/action.py raises, and
``MessageProcessor._run_action`` in rasa/core/processor.py swallows it). A turn can also
fail outright (the tracker store or the lock store unreachable). Either way the
practitioner would be left waiting. Our input channels hand Rasa each message through
``answered()``, which notices a turn that said nothing and says so.

The message claims only what is known: no answer came. It does not say whether anything
was recorded (a turn can fail after its action has run), and need not: saying yes to the
same proposal again records nothing twice ("That was already recorded"). The proposal
itself survives, since the failed action's events (its slots) were never applied.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint

logger = logging.getLogger(__name__)

NO_ANSWER = (
    "Sorry, I can't answer that just now: part of ehbot isn't responding. "
    "Please try again in a few minutes; if it keeps happening, tell your system administrator."
)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def _count_replies(channel: OutputChannel) -> Callable[[], int]:
    """Counts what Rasa sends through ``channel`` (every bot message goes through
    ``send_response``). The instance is wrapped, not replaced: Rasa checks its type."""
    sent = 0
    send_response = channel.send_response

    async def counted(recipient_id: Text, message: Dict[Text, Any]) -> None:
        nonlocal sent
        sent += 1
        await send_response(recipient_id, message)

    channel.send_response = counted  # type: ignore[method-assign]
    return lambda: sent


def answered(on_new_message: OnNewMessage) -> OnNewMessage:
    """``on_new_message``, telling the practitioner when a turn ends with nothing said."""

    async def handle(message: UserMessage) -> None:
        said = _count_replies(message.output_channel)
        try:
            await on_new_message(message)
        except Exception as exc:  # noqa: BLE001 - the practitioner gets a message, not silence
            # The type only: a database error's text can hold the message's words.
            logger.error("a %s message could not be handled (%s)", message.input_channel, type(exc).__name__)
            logger.debug("the failure", exc_info=True)
        if said() == 0:
            logger.warning("a %s message got no reply (part of ehbot is not answering): told the sender",
                           message.input_channel)
            try:
                await message.output_channel.send_response(message.sender_id, {"text": NO_ANSWER})
            except Exception as exc:  # noqa: BLE001 - the channel itself is down: nothing more to do
                logger.error("could not tell the %s sender either (%s)", message.input_channel, type(exc).__name__)

    return handle


class AnswersEveryMessage(InputChannel):
    """Mixed into an input channel (before Rasa's class): its messages go through ``answered()``."""

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return super().blueprint(answered(on_new_message))
