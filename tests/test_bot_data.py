"""Chatbot training data and NLU: `rasa data validate`, the Vietnamese tokenizer on odd input,
accent-insensitive features, and intents understood with and without diacritics.

The model is trained at most once per session (and reused across sessions while config.yml,
bot/ and nlu_data/ are unchanged: models/bot-<hash>.tar.gz, see bot/train.py).
"""
from __future__ import annotations

import asyncio
import subprocess
import unicodedata

import pytest

from bot.components.diacritic_folding import DiacriticFolder
from document_parsing.text_utils import fold
from bot.components.vietnamese_tokenizer import VietnameseTokenizer
from bot.train import DATA, DOMAIN, RASA, ROOT, ensure_model, rasa_env
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def test_rasa_data_validate_passes():
    out = subprocess.run(
        [RASA, "data", "validate", "--domain", str(DOMAIN), "--data", *map(str, DATA),
         "--config", str(ROOT / "config.yml")],
        cwd=ROOT, env=rasa_env(), capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def _tokens(text: str):
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    message = Message(data={"text": text})
    tokenizer.process([message])  # the same path Rasa takes at run time
    DiacriticFolder().process([message])
    return message, message.get(TOKENS_NAMES["text"]) or []


ODD_INPUTS = [
    unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh Lâm Đồng đến năm 2020"),  # decomposed
    "Uỷ ban nhân dân tỉnh Cần Thơ",  # old-style tone placement
    "Sở\tGiáo dục  và\t\tĐào tạo",  # tabs and double spaces inside a word
    "đến năm 2025 😀👍 bao nhiêu %?",  # emoji
    "ðà lạt có kế hoạch gì",  # Icelandic eth typed for đ
    "  \n ",
    "",
    "GD&ĐT, UBND; (KH-UBND) 3381/KH-UBND ... !!!",
    "a",
]


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_tokenizer_offsets_always_match_the_message_text(text):
    message, tokens = _tokens(text)
    normalised = message.get("text")
    assert normalised == unicodedata.normalize("NFC", normalised)
    last_end = 0
    for token in tokens:
        assert normalised[token.start:token.end] == token.text
        assert token.start >= last_end
        last_end = token.end
    if text.strip():
        assert tokens, text
    else:
        assert tokens == []


def test_tokenizer_segments_vietnamese_words():
    _, tokens = _tokens("Đến năm 2020 Lâm Đồng bao nhiêu phần trăm cuộc họp trực tuyến")
    words = [t.text for t in tokens]
    assert "Lâm Đồng" in words and "trực tuyến" in words and "bao nhiêu" in words


def test_folded_lemmas_ignore_diacritics_and_tone_placement():
    _, accented = _tokens("Uỷ ban Lâm Đồng đường")
    _, modern = _tokens(unicodedata.normalize("NFD", "Ủy ban Lâm Đồng đường"))
    _, plain = _tokens("uy ban lam dong duong")
    lemmas = lambda toks: " ".join(t.lemma for t in toks).split()  # noqa: E731
    assert lemmas(accented) == lemmas(modern) == lemmas(plain) == ["uy", "ban", "lam", "dong", "duong"]
    assert fold("Đắk Lắk") == "dak lak"


def test_tokenizer_handles_training_data_path():
    data = TrainingData([Message(data={"text": unicodedata.normalize("NFD", "Sở Tài chính"), "intent": "ask_responsibility"})])
    VietnameseTokenizer(VietnameseTokenizer.get_default_config()).process_training_data(data)
    example = data.training_examples[0]
    assert [t.text for t in example.get(TOKENS_NAMES["text"])][0].startswith("Sở")


# Sentences written for this test (not in nlu_data/), each in accented and unaccented form.
UNDERSTOOD = [
    ("ask_target", "Đến năm 2020 Lâm Đồng bao nhiêu phần trăm cuộc họp trực tuyến?"),
    ("ask_target", "Chỉ tiêu tỷ lệ giáo viên Quảng Bình đạt chuẩn CNTT đến 2025 là bao nhiêu?"),
    ("ask_responsibility", "Sở Tài chính Đắk Lắk có trách nhiệm gì trong kế hoạch?"),
    ("ask_deadline", "Thời hạn các trường ở Thái Bình gửi báo cáo về Sở là khi nào?"),
    ("ask_document_info", "Kế hoạch của Bạc Liêu do ai ký, ban hành ngày nào?"),
    ("ask_appendix_project", "Phụ lục kế hoạch của Ninh Bình gồm những dự án nào?"),
    ("ask_procedure", "Hồ sơ chuyển trường cho con cần những giấy tờ gì?"),
    ("ask_procedure", "Lệ phí cấp bản sao bằng tốt nghiệp là bao nhiêu?"),
    ("ask_comparison", "So sánh chỉ tiêu họp trực tuyến của Cần Thơ và Đắk Lắk"),
    ("ask_followup", "Còn năm 2025 thì sao?"),
    ("ask_followup", "Thế còn Lâm Đồng?"),
    ("greet", "Xin chào bạn"),
    ("thank", "Cảm ơn bạn nhiều"),
    ("out_of_scope", "Hôm nay thời tiết Hà Nội thế nào?"),
]


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    model, _ = ensure_model(quiet=True)
    return Agent.load(str(model))


@pytest.mark.parametrize("intent,text", UNDERSTOOD)
def test_intent_understood_with_and_without_diacritics(agent, intent, text):
    for form in (text, fold(text)):
        parsed = asyncio.run(agent.parse_message(form))
        assert parsed["intent"]["name"] == intent, (form, parsed["intent"])
