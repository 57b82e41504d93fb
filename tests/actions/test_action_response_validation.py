"""RemoteAction's check of action server responses with a validator built once
(bot/policies/action_response_validation.py): the same answers as Rasa's, Rasa's error when invalid."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.policies import action_response_validation

VALID = {"events": [{"event": "slot", "name": "topic", "value": "cost"}], "responses": [{"response": "utter_x"}]}
INVALID = [{"events": "not a list"}, {"responses": [1, 2]}, {"events": [{"event": 5}]}, []]


@pytest.fixture
def remote_action():
    action_response_validation.install()
    return RemoteAction("action_search_providers", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_rasa_still_has_the_method_this_replaces():
    assert callable(action_response_validation._rasa_validate_action_result)


def test_the_policy_that_every_rasa_process_loads_installs_it(tmp_path, monkeypatch):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.policies.crisis_policy import CrisisPolicy

    monkeypatch.setattr(RemoteAction, "_validate_action_result", action_response_validation._rasa_validate_action_result)
    CrisisPolicy.create(CrisisPolicy.get_default_config(), LocalModelStorage(tmp_path), Resource("crisis"),
                        ExecutionContext(GraphSchema({}), "test"))
    assert RemoteAction._validate_action_result is action_response_validation._validate_action_result


def test_a_valid_response_passes(remote_action):
    assert remote_action._validate_action_result(VALID) is True
    assert remote_action._validate_action_result({}) is True


@pytest.mark.parametrize("response", INVALID)
def test_an_invalid_response_gets_rasas_own_error(remote_action, response):
    with pytest.raises(ValidationError) as raised:
        remote_action._validate_action_result(response)
    assert "Failed to validate Action server response from API" in raised.value.message
    with pytest.raises(ValidationError):
        action_response_validation._rasa_validate_action_result(remote_action, response)


@pytest.mark.parametrize("response", [VALID, {}] + INVALID)
def test_the_validator_built_once_agrees_with_jsonschema_validate(response):
    import jsonschema

    try:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
        rasa_says_valid = True
    except ValidationError:
        rasa_says_valid = False
    assert action_response_validation.response_validator().is_valid(response) is rasa_says_valid
