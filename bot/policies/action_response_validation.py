"""Rasa's check of action server responses, with its JSON schema validator built once.

Rasa checks every action server response with `jsonschema.validate(response, schema)`, and that
function first validates the schema itself against JSON Schema's metaschema: 19 ms per custom
action on this machine, where a validator built once from the same schema takes 0.3 ms
(`python -m bot.policies.action_response_validation` measures both). A form turn runs one or two custom actions, so this
was most of the action layer's share of a turn. Rasa 3.6 has no setting or hook for it (RemoteAction
is built inside rasa.core.actions.action), so `install()` replaces RemoteAction's
`_validate_action_result` with one that asks the validator built once and, only when the response
is invalid, calls Rasa's own method, so that the error and its message are Rasa's. CrisisPolicy
installs it when it loads, beside the action timeout (action_timeout.py): every Rasa process
serving this assistant loads that policy. Check it again when Rasa is upgraded
(tests/actions/test_action_response_validation.py fails if the method goes away).
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text

from rasa.core.actions.action import RemoteAction

_rasa_validate_action_result = RemoteAction._validate_action_result


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """jsonschema's validator of Rasa's action response schema, the schema checked once."""
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if response_validator().is_valid(result):
        return True
    return _rasa_validate_action_result(self, result)  # raises Rasa's ValidationError


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result


if __name__ == "__main__":
    import time

    import jsonschema

    response = {"events": [{"event": "slot", "name": "topic", "value": "cost"}], "responses": [{"response": "utter_x"}]}
    for label, check in (("jsonschema.validate (Rasa's way)",
                          lambda: jsonschema.validate(response, RemoteAction.action_response_format_spec())),
                         ("validator built once", lambda: response_validator().validate(response))):
        started = time.perf_counter()
        for _ in range(200):
            check()
        print(f"{label}: {(time.perf_counter() - started) / 200 * 1000:.2f} ms per response")
