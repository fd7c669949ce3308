"""Rasa 3.6's Bot Framework channel (Microsoft Teams), answering every message
(ehbot_channels/always_answer.py). Its name is still ``botframework``: the webhook stays at
``/webhooks/botframework/webhook`` and the actions see the input channel ``botframework``."""
from __future__ import annotations

from rasa.core.channels import botframework as rasa_botframework

from ehbot_channels.always_answer import AnswersEveryMessage


class BotFrameworkInput(AnswersEveryMessage, rasa_botframework.BotFrameworkInput):
    """Rasa's Teams channel; a turn that says nothing gets ehbot's "no answer" message."""
