"""Rasa 3.6's REST channel (local development: ``ehbot chat``), answering every message
(ehbot_channels/always_answer.py). Its name is still ``rest``: the webhook stays at
``/webhooks/rest/webhook`` and the actions see the input channel ``rest``."""
from __future__ import annotations

from rasa.core.channels import rest as rasa_rest

from ehbot_channels.always_answer import AnswersEveryMessage


class RestInput(AnswersEveryMessage, rasa_rest.RestInput):
    """Rasa's REST channel; a turn that says nothing gets ehbot's "no answer" message."""
