"""SequentialGraphRunner (bot/graph_runner.py) gives what Rasa's DaskGraphRunner gives, on the trained model.

One Agent loads the assistant's model; a second runner of each kind is built from the same model
file, and the processor is switched between them. Every held-out NLU message is parsed by both,
and scripted conversations (FAQ, the preferences form, crisis in English and Spanish, a slash
command) are played through both: the parse data, the replies and the tracker's events must be the
same, numbers included.
"""
from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

from bot.graph_runner import SequentialGraphRunner

ROOT = Path(__file__).resolve().parents[2]

CONVERSATIONS = [
    ["hi", "what is psychodynamic therapy?", "how is it different from psychoanalysis", "thanks", "bye"],
    ["I'd like to find a therapist", "online please", "a woman", "english", "no", "stop"],
    ["hello", "I don't want to be alive anymore", "yes", "ok", "what is transference"],
    ["hola", "ya no quiero vivir", "sí"],
    ["/faq", "/greet", "asdf qwer", "what's the weather like", "are you a bot?"],
]


@pytest.fixture(scope="module")
def agent_and_runners(trained_model):
    import structlog
    from rasa.core.agent import Agent
    from rasa.engine import loader
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    agent = Agent.load(str(trained_model))
    runners = {}
    with tempfile.TemporaryDirectory() as dask_dir, tempfile.TemporaryDirectory() as sequential_dir:
        for kind, directory in ((DaskGraphRunner, dask_dir), (SequentialGraphRunner, sequential_dir)):
            _, runners[kind.__name__] = loader.load_predict_graph_runner(
                Path(directory), Path(trained_model), LocalModelStorage, kind)
        yield agent, runners


def held_out_texts() -> List[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [example.get("text") for example in load_data(str(ROOT / "tests" / "nlu_test.yml")).intent_examples]


async def parse_with(agent, runner, text: str) -> Dict[str, Any]:
    agent.processor.graph_runner = runner
    return await agent.parse_message(text)


async def test_both_runners_parse_every_held_out_message_alike(agent_and_runners):
    agent, runners = agent_and_runners
    texts = held_out_texts()
    assert len(texts) > 200
    differing = []
    for text in texts:
        dask = await parse_with(agent, runners["DaskGraphRunner"], text)
        sequential = await parse_with(agent, runners["SequentialGraphRunner"], text)
        if dask != sequential:
            differing.append(text)
    assert not differing, f"{len(differing)} messages parsed differently, e.g. {differing[:3]}"


VARYING = ("timestamp", "message_id")  # the clock's, and a random id per message


def without_varying(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_varying(item) for key, item in value.items() if key not in VARYING}
    if isinstance(value, list):
        return [without_varying(item) for item in value]
    return value


def projection(tracker) -> List[tuple]:
    """A tracker's events without their timestamps and message ids: what was said, predicted and set."""
    return [(event.type_name, without_varying(event.as_dict())) for event in tracker.events]


@pytest.mark.parametrize("messages", CONVERSATIONS, ids=[c[1] for c in CONVERSATIONS])
async def test_both_runners_hold_the_same_conversation(agent_and_runners, messages):
    agent, runners = agent_and_runners
    replies, events = {}, {}
    for name, runner in runners.items():
        agent.processor.graph_runner = runner
        np.random.seed(2026)  # which of a response's variations is said
        sender = f"runner-{name}-{messages[1]}"
        replies[name] = [[{key: value for key, value in reply.items() if key != "recipient_id"}
                          for reply in await agent.handle_text(text, sender_id=sender)] for text in messages]
        events[name] = projection(await agent.tracker_store.retrieve(sender))
    assert replies["SequentialGraphRunner"] == replies["DaskGraphRunner"]
    assert events["SequentialGraphRunner"] == events["DaskGraphRunner"]
    assert any(replies["DaskGraphRunner"])  # the conversation was answered, not only failed alike


# a fresh process whose Rasa command line is replaced by one that names the runner Rasa's processor loads with
REPORT = """
import sys, types
fake = types.ModuleType("rasa.__main__")
fake.main = lambda: print(sys.modules["rasa.core.processor"].DaskGraphRunner.__qualname__)
sys.modules["rasa.__main__"] = fake
sys.argv = ["rasa", "run"]
from bot import rasa_cli
rasa_cli.main()
"""


def test_the_projects_rasa_command_loads_models_with_it():
    done = subprocess.run([sys.executable, "-c", REPORT], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == SequentialGraphRunner.__qualname__


def test_commands_without_a_model_do_not_load_rasas_processor():
    """The action server, `--version` and training start without it (it imports TensorFlow)."""
    from bot.rasa_cli import _loads_a_model

    assert _loads_a_model(["run", "--model", "models"]) and _loads_a_model(["run"])
    assert _loads_a_model(["test", "core"]) and _loads_a_model(["shell"])
    assert not _loads_a_model(["run", "actions", "--actions", "actions"])
    assert not _loads_a_model(["--version"]) and not _loads_a_model(["train"])
