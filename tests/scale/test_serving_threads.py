"""bot/rasa_cli.py: a Rasa server's BLAS uses one thread (its idle OpenBLAS threads spun after every
call: 28.3 ms of CPU per message instead of 13.1 ms, deploy/kubernetes/measure_worker.py); training
keeps its threads. Checked in the libraries as loaded, through threadpoolctl, in a fresh process
whose Rasa command line is replaced by one that reports them."""
import json
import os
import subprocess
import sys

import pytest

from tests.support import servers

REPORT = """
import json, sys, types
from threadpoolctl import threadpool_info
def report():
    import numpy  # noqa: F401  (OpenBLAS as the server loads it, if the command line has not yet)
    print(json.dumps([pool["num_threads"] for pool in threadpool_info() if pool["internal_api"] == "openblas"]))
fake = types.ModuleType("rasa.__main__")
fake.main = report
sys.modules["rasa.__main__"] = fake
sys.argv = ["rasa", *sys.argv[1:]]
from bot import rasa_cli
rasa_cli.main()
"""


def blas_threads(*command: str) -> list:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", REPORT, *command], cwd=servers.ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: every BLAS has one thread")
def test_servers_use_one_blas_thread_and_training_every_core():
    served, served_actions, training = blas_threads("run"), blas_threads("run", "actions"), blas_threads("train")
    assert served and set(served) == {1} and set(served_actions) == {1}, (served, served_actions)
    assert training and max(training) == os.cpu_count(), training


IDLE_CPU = """
import json, sys, time, types
def report():
    import numpy as np
    a = np.random.default_rng(0).random((600, 600))
    for _ in range(5):
        a @ a  # OpenBLAS's threads work, then go idle
    started = time.process_time()
    time.sleep(0.2)
    print(json.dumps(time.process_time() - started))
fake = types.ModuleType("rasa.__main__")
fake.main = report
sys.modules["rasa.__main__"] = fake
sys.argv = ["rasa", *sys.argv[1:]]
from bot import rasa_cli
rasa_cli.main()
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: OpenBLAS starts no thread to spin")
def test_training_leaves_no_blas_thread_spinning_after_a_call():
    """The process's CPU while it sleeps after BLAS work: OpenBLAS's default let its idle threads spin
    for about 0.1 s (128 of 452 CPU-seconds of `rasa train`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                            "OPENBLAS_THREAD_TIMEOUT")}
    done = subprocess.run([sys.executable, "-c", IDLE_CPU, "train"], cwd=servers.ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) < 0.02
