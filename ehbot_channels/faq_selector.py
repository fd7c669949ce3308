"""The response selector for guidance questions, asked only about guidance questions.

Rasa 3.6's ``ResponseSelector`` picks a faq answer for every message, whatever its
intent: a second model's prediction on each turn (about 16% of the Rasa server's time
on a status turn on the test machine). Its choice is read only when the message's
intent is the retrieval intent (``actions/guidance.py``), so this selector runs on
those messages alone; DIET, earlier in the pipeline, has already named the intent.
Training is Rasa's own, unchanged.

    - name: ehbot_channels.faq_selector.FaqResponseSelector   (config.yml)
"""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    def process(self, messages: List[Message]) -> List[Message]:
        # One retrieval intent named in the config, else any the data has.
        wanted = {self.retrieval_intent} if self.retrieval_intent else set(self.all_retrieval_intents)
        asked = [m for m in messages if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) in wanted]
        if asked:
            super().process(asked)
        return messages
