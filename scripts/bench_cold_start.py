"""Cold start: from `scripts/run_stack.py` (what `make run` runs after training) to a correct first
form answer, N fresh starts, each with new intake and provider databases (so migrations and
seeding run every time). A start "loses the form" when the first "I'd like to find a therapist"
gets anything but the form's first question.

    .venv/bin/python scripts/bench_cold_start.py --starts 10
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from privacy.dev_secrets import dev_secret  # noqa: E402

FIRST_QUESTION = "what brings you to therapy"


def first_form_answer(token: str, sender: str) -> str:
    request = urllib.request.Request(
        "http://127.0.0.1:5005/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": "I'd like to find a therapist"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return " ".join(m.get("text") or "" for m in json.loads(response.read()))


def one_start(n: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"cold-start-{n}-"))
    env = {**os.environ,
           "INTAKE_DATABASE_URL": f"sqlite:///{workdir / 'intake.db'}",
           "PROVIDERS_DATABASE_URL": f"sqlite:///{workdir / 'providers.db'}"}
    token = env.get("REST_CHANNEL_TOKEN") or dev_secret("REST_CHANNEL_TOKEN")
    env["REST_CHANNEL_TOKEN"] = token
    started = time.monotonic()
    stack = subprocess.Popen([sys.executable, "scripts/run_stack.py"], cwd=ROOT, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        said = []
        for line in stack.stdout:
            said.append(line.strip())
            if "The assistant is running" in line:
                break
        else:
            return {"start": n, "ok": False, "error": "stack did not start", "said": said[-3:]}
        ready_s = time.monotonic() - started
        answer = first_form_answer(token, f"cold-start-{n}-{int(time.time())}")
        return {"start": n, "ok": FIRST_QUESTION in answer.lower(), "ready_s": round(ready_s, 1),
                "first_answer_s": round(time.monotonic() - started, 1)}
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args()
    results = []
    for n in range(1, args.starts + 1):
        result = one_start(n)
        results.append(result)
        print(json.dumps(result), flush=True)
        time.sleep(2)  # ports released
    ok = [r for r in results if r["ok"]]
    times = [r["first_answer_s"] for r in ok]
    print(f"\n{len(ok)}/{len(results)} starts answered the first form question (lost forms: {len(results) - len(ok)})")
    if times:
        print(f"launch to first form answer: median {statistics.median(times):.1f} s, max {max(times):.1f} s")
    return 0 if len(ok) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
