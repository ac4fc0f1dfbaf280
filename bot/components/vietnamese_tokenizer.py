"""Vietnamese word segmentation (underthesea) as a Rasa 3.6 tokenizer.

Rasa's ``Tokenizer._convert_words_to_tokens`` finds each word with ``text.index(word, offset)``.
underthesea rewrites characters (NFC, ``ð`` → ``đ``) and, by default, tokens ("Uỷ" → "Ủy"), and
joins the syllables of a word with one space whatever the input had (tabs, double spaces), so its
words are not always substrings of the message. This tokenizer therefore

* rewrites the message text to NFC first (the form the rest of the pipeline sees),
* calls ``word_tokenize(..., use_token_normalize=False)``, and
* places every syllable itself in a same-length copy of the text (underthesea's remaining
  character map is one character for one), so offsets always refer to the message text and a
  token's text is exactly ``text[start:end]``.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from document_parsing.text_utils import nfc

_FALLBACK = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def segment(text: str) -> List[tuple[int, int]]:
    """(start, end) spans of the words of ``text`` (already NFC), in order."""
    if not text.strip():
        return []
    from underthesea import word_tokenize

    try:
        words = word_tokenize(text, use_token_normalize=False)
    except Exception:  # noqa: BLE001 - never fail a message because of the segmenter
        words = []
    spans: List[tuple[int, int]] = []
    offset = 0
    for word in words:
        start = end = None
        for syllable in word.split():
            at = text.find(syllable, offset)
            if at < 0:
                continue  # a character underthesea rewrote: leave the syllable out
            if start is None:
                start = at
            end = at + len(syllable)
            offset = end
        if start is not None:
            spans.append((start, end))
    if not spans:
        spans = [(m.start(), m.end()) for m in _FALLBACK.finditer(text)]
    return spans


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class VietnameseTokenizer(Tokenizer):
    """Segments Vietnamese text into words (``lâm đồng``, ``trực tuyến``) with exact offsets."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["vi"]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["underthesea"]

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        original = message.get(attribute) or ""
        text = nfc(original)
        if text != original:
            message.set(attribute, text)
        tokens = []
        for start, end in segment(text):
            word = text[start:end]
            # lemma: lowercase, syllables joined by single spaces (folded later by DiacriticFolder)
            tokens.append(Token(word, start, end, lemma=" ".join(word.lower().split())))
        return self._apply_token_pattern(tokens)
