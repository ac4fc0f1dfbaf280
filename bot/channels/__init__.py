"""Project input channels for Rasa: Telegram (``telegram``) and Zalo Official Account (``zalo``).

Both are registered by module path in credentials.yml and read their settings from the
environment only (secrets never sit in the repository). Without their variables they stay
disabled and say so in one log line, so ``make run`` works without any account.

Identity: every message reaches Rasa as a standard ``UserMessage`` whose ``sender_id`` is the
channel's own user id (Telegram ``from.id``, Zalo ``sender.id``, as strings) and whose
``input_channel`` is the channel's name; a reporter is therefore (channel, that id).
"""
