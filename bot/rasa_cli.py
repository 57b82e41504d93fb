"""`rasa` with the libraries' deprecation notices kept out of the logs, Rasa's telemetry off, the model's
graph run without dask's scheduler, RulePolicy's debug text built only when it is logged, idle BLAS
threads asleep and, for servers, one BLAS thread (used by `make run`, `make serve`, `make train`,
Kubernetes and the tests).

    .venv/bin/python -m bot.rasa_cli run ...        # the same arguments as .venv/bin/rasa

Why: importing Sanic 21.12 puts a filter first in the warnings filters that prints every
DeprecationWarning once, so each start logged ~15 notices from pkg_resources, TensorFlow, jax,
sanic_cors and pyparsing (plus TensorFlow's C++ TensorRT/CPU-instruction lines). None is something
a clinic can act on, and they hid the warnings that matter. This entry point re-ignores deprecation
warnings after that import and then runs Rasa's own command line unchanged; Rasa's own warnings
(UserWarning: data, domain, configuration) and every error still reach the log. `.venv/bin/rasa` keeps
working as before for anyone who wants the notices.
"""
from __future__ import annotations

import os
import sys
import warnings


# Rasa reports usage to Segment and errors to Sentry (Rasa's accounts) unless told not to, and its
# first run writes "enabled: true" into ~/.config/rasa/global.yml. A clinic's assistant sends nothing
# to third parties: off wherever this project starts Rasa, unless the environment says otherwise.
TELEMETRY_OFF = {"RASA_TELEMETRY_ENABLED": "false"}

# A server answers each message on its own, on small matrices: BLAS threads add nothing there, and
# OpenBLAS's idle threads spin after every call. A Rasa worker used 28.3 ms of CPU per message with
# them and 13.1 ms without, at the same latency (deploy/kubernetes/measure_worker.py): under load
# that CPU was taken from the other workers. Workers, not BLAS threads, use the cores. Training
# (`rasa train`) keeps them. Read when numpy loads OpenBLAS, so set before Rasa is imported.
SERVING_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}

# After each call OpenBLAS's worker threads spin for about 2^28 cycles (0.1 s) before they sleep.
# In training, where the risk classifier's fits run two threads and the sentence encoder its own,
# that spinning took 128 of 452 CPU-seconds of `rasa train`: CPU the other fits and, in `make test`,
# the tests beside it needed. 2^4 cycles: they sleep at once. How the work is split does not change,
# so neither do the numbers (the trained model's weights are the same, bit for bit).
IDLE_BLAS_THREADS_SLEEP = {"OPENBLAS_THREAD_TIMEOUT": "4"}

_DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning)
_show_warning = warnings.showwarning


def _ignore_deprecations() -> None:
    for category in _DEPRECATIONS:
        warnings.filterwarnings("ignore", category=category)


def _show_unless_library_deprecation(message, category, filename, lineno, file=None, line=None):
    """Filters alone were not enough: a warning filter added while the model loads let pyparsing's
    notices through again. Library (site-packages) deprecations are dropped here as well."""
    if issubclass(category, _DEPRECATIONS) and "site-packages" in str(filename):
        return
    _show_warning(message, category, filename, lineno, file, line)


def _skip_jax() -> None:
    """Rasa imports TensorFlow, whose `tf.lite` imports jax (a TensorFlow requirement) only to
    convert JAX models; nothing this assistant runs uses either (its pipeline has no TensorFlow
    component), and jax cost 64 MB of every Rasa worker's memory (RSS as
    deploy/kubernetes/measure_worker.py reports it). A `None` in sys.modules makes that optional
    import fail the way TensorFlow expects when jax is absent."""
    sys.modules.setdefault("jax", None)


def _loads_a_model(arguments: list) -> bool:
    """`rasa run` (not `run actions`), `shell`, `test` and `interactive` answer with a trained model."""
    if arguments[:1] == ["run"]:
        return arguments[1:2] != ["actions"]
    return arguments[:1] in (["shell"], ["test"], ["interactive"])


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ notices; errors still show
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # Rasa 3.6 pins SQLAlchemy 1.4
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)
    for name, value in IDLE_BLAS_THREADS_SLEEP.items():
        os.environ.setdefault(name, value)
    if sys.argv[1:2] == ["run"]:  # `rasa run` and `rasa run actions`
        for name, value in SERVING_THREADS.items():
            os.environ.setdefault(name, value)
    _ignore_deprecations()
    warnings.showwarning = _show_unless_library_deprecation
    import sanic  # noqa: F401  (its import inserts the "once" filter for DeprecationWarning)

    _ignore_deprecations()
    _skip_jax()
    if _loads_a_model(sys.argv[1:]):
        # its graph runs node after node (11% of a turn was dask's scheduling; bot/graph_runner.py).
        # Only here: it imports Rasa's processor, and so TensorFlow, which the action server never loads.
        from bot.graph_runner import install as run_graphs_in_sequence
        from bot.policies.rule_policy_long_conversations import install as keep_rule_policy_from_growing

        run_graphs_in_sequence()
        # RulePolicy's debug text of the whole conversation, its scan of every state for rules, and
        # its JSON of a whole conversation no rule applies to
        keep_rule_policy_from_growing()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
