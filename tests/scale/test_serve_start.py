"""scripts/serve.py's Topology starts its action servers beside the first worker, and a start that
fails stops what it started: `make serve` and the benchmarks leave no server behind."""
import os
import sys

import pytest

from scripts.serve import Topology
from tests.support import servers


def test_a_worker_that_fails_to_start_leaves_no_action_server_running(tmp_path):
    env = {**os.environ, "TWILIO_AUTH_TOKEN": "test-only", "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}"}
    topology = Topology(tmp_path / "no-model.tar.gz", tmp_path, workers=2, action_servers=2,
                        port=servers.free_port(), env=env)
    for worker in topology.workers:  # a worker process that exits at once, as one with a broken install
        worker.args = [sys.executable, "-c", "raise SystemExit(3)"]

    with pytest.raises(RuntimeError, match="exited"):
        topology.start()

    # both action servers had been started beside the first worker, and were stopped with it
    assert all(server.process is not None for server in topology.action_servers)
    assert all(server.process.poll() is not None for server in topology.action_servers)
    assert topology.workers[0].process.returncode == 3
    assert topology.workers[1].process is None  # never started after the first one failed
    assert topology.haproxy is None
