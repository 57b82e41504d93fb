"""The question topics the assistant answers: a short title, the question a button sends, and the
response that answers it. One home for these, used by the clarifying question and by the answer to
a message's second question."""
from __future__ import annotations

from typing import Dict, NamedTuple, Optional, Text


class Topic(NamedTuple):
    title: Text      # how the assistant names the topic ("cost and insurance")
    question: Text   # a button's payload: typed text, classified like anything the person writes
    response: Text   # the domain response that answers it


def _faq(title: Text, question: Text, key: Text) -> Topic:
    return Topic(title, question, f"utter_faq/{key}")


TOPICS: Dict[Text, Topic] = {
    "faq/what_is": _faq("what psychodynamic therapy is", "What is psychodynamic therapy?", "what_is"),
    "faq/origins": _faq("where it came from", "Where did psychodynamic therapy come from?", "origins"),
    "faq/how_it_works": _faq("how it works", "How does psychodynamic therapy work?", "how_it_works"),
    "faq/session_activities": _faq("what happens in a session", "What happens in a session?", "session_activities"),
    "faq/transference": _faq("transference", "What is transference?", "transference"),
    "faq/types": _faq("the types of psychodynamic therapy", "What types of psychodynamic therapy are there?", "types"),
    "faq/type_interpersonal": _faq("interpersonal therapy", "What is interpersonal therapy?", "type_interpersonal"),
    "faq/type_psychodynamic_interpersonal": _faq(
        "psychodynamic interpersonal therapy", "What is psychodynamic interpersonal therapy?",
        "type_psychodynamic_interpersonal"),
    "faq/type_dynamic_interpersonal": _faq(
        "dynamic interpersonal therapy", "What is dynamic interpersonal therapy?", "type_dynamic_interpersonal"),
    "faq/type_cognitive_analytic": _faq(
        "cognitive analytic therapy", "What is cognitive analytic therapy?", "type_cognitive_analytic"),
    "faq/type_mentalization_based": _faq(
        "mentalization-based therapy", "What is mentalization-based therapy?", "type_mentalization_based"),
    "faq/type_transference_focused": _faq(
        "transference-focused therapy", "What is transference-focused therapy?", "type_transference_focused"),
    "faq/who_it_helps": _faq("who it helps", "Who can psychodynamic therapy help?", "who_it_helps"),
    "faq/evidence": _faq("whether it works", "Does psychodynamic therapy work?", "evidence"),
    "faq/find_therapist": _faq("choosing a therapist", "How do I choose a psychodynamic therapist?", "find_therapist"),
    "faq/misconception_past": _faq(
        "whether it's all about the past", "Is it just talking about my childhood?", "misconception_past"),
    "faq/misconception_couch": _faq("the couch", "Do I have to lie on a couch?", "misconception_couch"),
    "faq/cost_insurance": _faq("cost and insurance", "How much does it cost, and do you take insurance?",
                               "cost_insurance"),
    "faq/how_soon": _faq("how soon you can be seen", "How soon can I be seen?", "how_soon"),
    "faq/crisis_support": _faq("crisis support", "Where can I get crisis support?", "crisis_support"),
    "faq/compare_approaches": _faq(
        "how it compares with CBT and other approaches", "How is psychodynamic therapy different from CBT?",
        "compare_approaches"),
    "faq/confidentiality": _faq("privacy and confidentiality", "Is what I say confidential?", "confidentiality"),
    "faq/minors": _faq("therapy for under-18s", "Can I get therapy if I'm under 18?", "minors"),
    "faq/online_sessions": _faq("online sessions", "Can I have sessions by video?", "online_sessions"),
    "compare_psychoanalysis": Topic(
        "how it differs from psychoanalysis", "How is psychodynamic therapy different from psychoanalysis?",
        "utter_compare_psychoanalysis"),
    "ask_frequency_duration": Topic(
        "how often and how long", "How often are sessions and how long does it take?", "utter_frequency_duration"),
    "ask_right_for_me": Topic("whether it's right for you", "Is psychodynamic therapy right for me?",
                              "utter_right_for_me"),
    "request_therapist": Topic("finding a therapist", "I want to find a therapist", "utter_ask_concern"),
    "request_human": Topic("talking to a person", "Can I talk to a person?", "utter_offer_human"),
}


def topic(name: Optional[Text]) -> Optional[Topic]:
    return TOPICS.get(name or "")
