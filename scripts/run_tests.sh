#!/usr/bin/env bash
# `make test`, what CI runs (.ci/run), after setup and `rasa data validate`:
#   1. training, and beside it the tests that need no model (pytest -m "not model"): for minutes of
#      training one core is idle (the situation model's fit runs on one thread), and those tests spend
#      much of their time waiting on the servers they start;
#   2. the tests of the trained model (pytest -m model: every test using it is marked, tests/conftest.py),
#      in two processes (pytest-xdist), each test module whole in one of them (--dist loadgroup with
#      the groups tests/conftest.py gives, so a module's servers start once): they mostly wait on the
#      Rasa servers they start (333 s in one process, 194-236 s in two, on this 2-core machine, 1.2
#      cores busy on average); beside them, on the idle core, the test stories and the held-out NLU
#      set (Rasa's own test commands, about 35 s), their output printed after.
# Every step runs even when an earlier one failed, so one run shows every failure; the exit status
# is that of the first failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p results
failed=""

make --no-print-directory train > results/train.log 2>&1 &
training=$!
echo "test: training in the background (results/train.log); meanwhile the tests that need no model"
.venv/bin/pytest -q -m "not model" || failed="${failed} tests-without-model"
wait "$training" || failed="${failed} train"
echo "test: the training log"
cat results/train.log

if [[ "$failed" != *train* ]]; then
  # Rasa's test commands beside the tests of the model: those use 1.2 of the 2 cores, mostly
  # waiting on servers, and the two commands take about 35 s on one core
  ( status=0
    make --no-print-directory test-stories > results/test-stories.log 2>&1 || status=1
    { make --no-print-directory test-nlu && .venv/bin/python scripts/check_nlu_report.py results/nlu; } \
      > results/test-nlu.log 2>&1 || status=$((status + 2))
    exit "$status" ) &
  rasa_tests=$!
  ASSISTANT_MODEL=$(ls -t models/*.tar.gz | head -1) .venv/bin/pytest -q -m model -n 2 --dist loadgroup || failed="${failed} tests-of-the-model"
  wait "$rasa_tests"
  rasa_status=$?
  (( rasa_status & 1 )) && failed="${failed} test-stories"
  (( rasa_status & 2 )) && failed="${failed} test-nlu"
  echo "test: the test stories and the held-out NLU set"
  cat results/test-stories.log results/test-nlu.log 2>/dev/null
fi

if [ -n "$failed" ]; then
  echo "test: FAILED:${failed}"
  exit 1
fi
echo "test: all passed"
