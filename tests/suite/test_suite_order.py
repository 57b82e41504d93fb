"""The suite's own scheduling (tests/conftest.py): the groups it starts first exist, and a collected
session starts with them, each whole."""
from tests import conftest
from tests.support import servers


def test_every_group_started_first_exists():
    for group in conftest._LONGEST_GROUPS_FIRST:
        assert (servers.ROOT / group).exists(), f"{group} is gone: update tests/conftest.py"


def test_collection_starts_with_the_longest_groups_each_whole():
    import subprocess
    import sys

    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:warnings",
                             "tests/faults", "tests/bad_input/test_rest.py", "tests/crisis/test_e2e.py",
                             "tests/actions/test_callback.py"],
                            capture_output=True, text=True, cwd=servers.ROOT, timeout=300)
    nodes = [line for line in listed.stdout.splitlines() if "::" in line]
    files = list(dict.fromkeys(node.split("::")[0] for node in nodes))
    assert files == ["tests/faults/test_crisis_under_faults.py", "tests/bad_input/test_rest.py",
                     "tests/crisis/test_e2e.py", "tests/actions/test_callback.py"], listed.stdout[-2000:]


def test_xdist_keeps_the_collected_order(pytestconfig):
    # without this, pytest-xdist hands out the groups with the most tests first, whatever the order above
    assert pytestconfig.getoption("loadscopereorder") is False
