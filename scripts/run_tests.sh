#!/usr/bin/env bash
# `make test`, what CI runs (.ci/run), after setup:
#   1. training, and beside it `rasa data validate` (scripts/validate_data.py: 9 s on one core, which
#      left the other idle when it ran first) and the tests that need no model (pytest -m "not model",
#      their output in results/tests-without-model.log, printed when they end). Together they keep
#      this 2-core machine busy. Step 2 waits on training, not on these tests, so they run at nice 5
#      and the sentence encoder's pass over the risk examples gets the CPU first (347 s instead of
#      427 s beside them; make test 13:41 instead of 14:43, clean clones on 2026-11-30);
#   2. as soon as the model is trained, whether or not those tests have ended: the tests of the
#      trained model (pytest -m model: every test using it is marked, tests/conftest.py), in three
#      processes (pytest-xdist), each test module whole in one of them (--dist loadgroup with the
#      groups tests/conftest.py gives, longest first, so a module's servers start once), and beside
#      them the test stories and the held-out NLU set (Rasa's own test commands, about 35 s on one
#      core). The tests of the model mostly wait on the Rasa servers they start: alone on this
#      machine, two processes in xdist's own order took 215 s with 1.1 of the 2 cores busy, three in
#      this order 157 s with 1.6 (four: 154 s; 2026-11-30).
# Every step runs even when an earlier one failed, so one run shows every failure; the exit status
# is that of the first failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p results
failed=""
# Python may keep what it compiles: CI sets PYTHONDONTWRITEBYTECODE, and then every one of the
# suite's ~40 Python processes (pytest and its xdist processes, each Rasa and action server) compiled
# the project's modules again, and pytest rewrote every test module's asserts again in each (2.3 CPU-s
# of a collection's 12.4). The files go to __pycache__/, which git ignores. (setup.sh compiles the
# installed packages for the same reason.)
unset PYTHONDONTWRITEBYTECODE

make --no-print-directory validate > results/validate.log 2>&1 &
validating=$!
make --no-print-directory train > results/train.log 2>&1 &
training=$!
nice -n 5 .venv/bin/pytest -q -m "not model" > results/tests-without-model.log 2>&1 &
tests_without_model=$!
echo "test: training (results/train.log) and, beside it, rasa data validate (results/validate.log) and the tests that need no model (results/tests-without-model.log)"
wait "$validating" || failed="${failed} validate"
echo "test: rasa data validate"
cat results/validate.log
wait "$training" || failed="${failed} train"
echo "test: the training log"
cat results/train.log

if [[ "$failed" != *train* ]]; then
  ( status=0
    make --no-print-directory test-stories > results/test-stories.log 2>&1 || status=1
    { make --no-print-directory test-nlu && .venv/bin/python scripts/check_nlu_report.py results/nlu; } \
      > results/test-nlu.log 2>&1 || status=$((status + 2))
    exit "$status" ) &
  rasa_tests=$!
  echo "test: the tests of the trained model"
  ASSISTANT_MODEL=$(ls -t models/*.tar.gz | head -1) .venv/bin/pytest -q -m model -n 3 --dist loadgroup || failed="${failed} tests-of-the-model"
  wait "$rasa_tests"
  rasa_status=$?
  (( rasa_status & 1 )) && failed="${failed} test-stories"
  (( rasa_status & 2 )) && failed="${failed} test-nlu"
  echo "test: the test stories and the held-out NLU set"
  cat results/test-stories.log results/test-nlu.log 2>/dev/null
fi

wait "$tests_without_model" || failed="${failed} tests-without-model"
echo "test: the tests that need no model"
cat results/tests-without-model.log

if [ -n "$failed" ]; then
  echo "test: FAILED:${failed}"
  exit 1
fi
echo "test: all passed"
