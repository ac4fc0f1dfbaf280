"""Rasa chatbot: domain, stories, rules, custom NLU components and the web chat page."""
