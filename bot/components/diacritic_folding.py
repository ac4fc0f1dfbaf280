"""Accent-insensitive features: put the diacritic-folded form of each token in its lemma.

Citizens often type without diacritics ("lam dong", "truc tuyen"). CountVectorsFeaturizer with
``use_lemma: true`` (its default) then counts "lâm đồng" and "lam dong" as the same word.
sklearn's ``strip_accents`` is not enough: NFKD leaves "đ" alone ("đồng" → "đong"); here đ → d.
The lemma keeps the syllables of a segmented word separated by spaces, so the word analyser
(``token_pattern \\b\\w+\\b``) sees syllables and syllable bigrams whichever way underthesea
segmented the accented or unaccented sentence.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from document_parsing.text_utils import fold


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class DiacriticFolder(GraphComponent):
    """Sets ``token.lemma`` to the folded token text; adds ``folded`` to each token's data."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "DiacriticFolder":
        return cls()

    @staticmethod
    def _fold_message(message: Message) -> None:
        for attribute in (TEXT, ACTION_TEXT):
            for token in message.get(TOKENS_NAMES[attribute]) or []:
                folded = " ".join(fold(token.text).split())
                token.lemma = folded
                token.set("folded", folded)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._fold_message(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._fold_message(message)
        return messages
