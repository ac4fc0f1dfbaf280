"""Custom Rasa NLU components for Vietnamese (tokenizer and diacritic folding)."""
