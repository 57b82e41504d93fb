"""Rasa's prediction graph run node after node in the calling thread, without dask's scheduler.

Rasa runs the model's graph at least twice a turn (the NLU pipeline, then the policies once per
predicted action) with `DaskGraphRunner`, which on every run works out the targets' dependencies
again, builds a dask graph and hands it to dask's synchronous scheduler (task ordering, a thread
pool's futures, a queue). For this assistant's graphs that was 11% of a single visitor's turn
(py-spy over 400 turns, 2026-11-30), more than the risk layer or the tracker store.

`SequentialGraphRunner` is a `DaskGraphRunner` (the same nodes, instantiated the same way) whose
`run` works out each set of targets' order once and then calls the nodes in it, in the calling
thread, as dask's synchronous scheduler does: a node gets its dependencies' `(name, output)`
pairs, and the result is `{target: output}`. Runs it cannot reproduce exactly (an input that
replaces a node, a target that is not a node) go to dask as before.

Rasa chooses the runner in `MessageProcessor._load_model`, with no setting for it, so
`bot.rasa_cli` rebinds the name that module uses (`install()`); training keeps dask (Rasa's
trainer is given its runner class explicitly). `tests/nlu/test_graph_runner.py` compares both
runners' parse data and next actions on the trained model.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner

# per node, in the order it runs: (name, node, the names whose outputs it takes)
_Plan = List[Tuple[Text, GraphNode, Tuple[Text, ...]]]


class SequentialGraphRunner(DaskGraphRunner):
    """A `DaskGraphRunner` that calls the nodes itself, in an order worked out once per targets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Text, ...], _Plan] = {}

    def _plan(self, targets: Tuple[Text, ...]) -> _Plan:
        plan = self._plans.get(targets)
        if plan is None:
            nodes = self._graph_schema.nodes
            plan, placed = [], set()

            def place(name: Text) -> None:  # dependencies first (depth-first, post-order)
                if name in placed or name not in nodes:  # done, or an input placeholder
                    return
                placed.add(name)
                needs = tuple(nodes[name].needs.values())
                for dependency in needs:
                    place(dependency)
                plan.append((name, self._instantiated_nodes[name], needs))

            for target in targets:
                place(target)
            self._plans[targets] = plan
        return plan

    def run(self, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        """Runs the graph (see `GraphRunner.run`)."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        nodes = self._graph_schema.nodes
        inputs = inputs or {}
        if any(name in nodes for name in inputs) or any(target not in nodes for target in run_targets):
            return super().run(inputs, list(run_targets))
        # dask's graph holds each input as the pair a node would have returned for it
        outputs: Dict[Text, Any] = {}
        for name, value in inputs.items():
            if isinstance(value, str) and value in nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                    f"names passed to the `run` method are the same as node names in the graph schema.")
            outputs[name] = (name, value)
        try:
            for name, node, needs in self._plan(run_targets):
                # a name nothing provides is passed as itself, as dask does (GraphNode warns about it)
                outputs[name] = node(*(outputs.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(outputs[target] for target in run_targets)


def install() -> None:
    """Make Rasa's message processor load models with `SequentialGraphRunner` (before a model loads)."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
