"""SecondQuestionPolicy: after the answer to a message's first question, answer its second.

bot.nlu.second_question.SecondQuestionFinder marks a message that asks about two topics. When the
assistant has just given the first answer (an FAQ, the psychoanalysis comparison, how often/how
long, is it right for me), this policy predicts `action_answer_second_question`, then
`action_listen`. Rules cannot do this: whether there is a second question is in the parse data,
not in an intent or a slot.

It abstains (all zeros) in every other case: no second question, a form or other loop active, a
risk verdict on the message (CrisisPolicy, which has the higher priority, owns that turn), or the
second answer already given. Its predictions are "no user" predictions, like CrisisPolicy's, so
they beat RulePolicy's "listen after the answer"; its priority is RulePolicy's plus one (Rasa
wants distinct priorities), below CrisisPolicy's plus two.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlu.second_question import SECOND_QUESTION_KEY

ANSWER_SECOND_QUESTION = "action_answer_second_question"
# The responses that answer a first question.
FIRST_ANSWERS = ("utter_faq", "utter_compare_psychoanalysis", "utter_frequency_duration", "utter_right_for_me")


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=False
)
class SecondQuestionPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Any = None) -> None:
        super().__init__({**self.get_default_config(), **config}, model_storage, resource, execution_context,
                         featurizer)

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # fixed behaviour; nothing to learn

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = next_action(tracker)
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)


def next_action(tracker: DialogueStateTracker) -> Optional[Text]:
    """`action_answer_second_question` right after the first answer, `action_listen` after it."""
    if tracker.active_loop_name:
        return None
    user: Optional[UserUttered] = None
    executed: List[Text] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            user = event
            break
        if isinstance(event, ActionExecuted) and event.action_name:
            executed.insert(0, event.action_name)
    if user is None or not (user.parse_data or {}).get(SECOND_QUESTION_KEY):
        return None
    if ((user.parse_data or {}).get("risk") or {}).get("tier", "none") != "none":
        return None
    answered = [name for name in executed if name != "action_extract_slots"]
    if answered == [] or answered[-1] not in FIRST_ANSWERS + (ANSWER_SECOND_QUESTION,):
        return None
    if ANSWER_SECOND_QUESTION in answered:
        return ACTION_LISTEN_NAME if answered[-1] == ANSWER_SECOND_QUESTION else None
    return ANSWER_SECOND_QUESTION
