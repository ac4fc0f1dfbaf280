"""CPU that Rasa 3.6 spends on every turn for nothing, given back (installed by bot/rasa_server.py).

Measured with py-spy on the production set-up (bot/prod.py) under 20 concurrent reporters: 44% of
each replica's CPU went to ``RemoteAction._validate_action_result``, which calls
``jsonschema.validate(result, schema)`` after every action-server call.  ``jsonschema.validate``
first checks the *schema* against its meta-schema (Draft 2020-12 with ``$dynamicRef``: thousands
of small validations) and builds a new validator, every time, for a schema that never changes.
A report turn makes one to three action calls (form validation, custom questions, submit), a
greeting none, so this cost alone made a report turn several greetings long.

Here the schema is checked once and its validator kept; each response is still validated in
full against it and a wrong response raises the same ``ValidationError`` (the best match, as
``jsonschema.validate`` picks it) with Rasa's explanation appended.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for


@lru_cache(maxsize=1)
def _action_response_validator():
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_response(result: dict[str, Any]) -> bool:
    """What ``RemoteAction._validate_action_result`` does, with the validator built once."""
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (". Failed to validate Action server response from API, make sure your response "
                      f"from the Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
    raise error


def install() -> None:
    """Replace Rasa's per-call schema check in this process (idempotent)."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = lambda self, result: validate_action_response(result)
