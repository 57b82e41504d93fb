"""Benchmark: time from a message sent in the chat widget to the answer rendered.

Starts the whole stack (provider service, action server, Rasa with socketio, the widget's
demo server), drives the demo page in headless Chromium and measures inside the browser,
from form submit to the animation frame after the first bot reply appears.

    .venv/bin/python scripts/bench_widget_latency.py [--messages 50] [--model models/x.tar.gz]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.support import servers  # noqa: E402
from tests.widget.conftest import CHROMIUM_ARGS, CHROMIUM_PATH, DESKTOP, widget_server  # noqa: E402
from tests.widget.pages import MEASURE_ROUND_TRIP_JS, ChatWidget, wait_until_mounted  # noqa: E402

QUESTIONS = [
    "What is psychodynamic therapy?",
    "How does psychodynamic therapy work?",
    "What is transference?",
    "Who can psychodynamic therapy help?",
    "Does psychodynamic therapy work?",
]


def measure(demo_url: str, messages: int, chromium: str) -> list:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=DESKTOP)
        page.goto(demo_url + "/")
        wait_until_mounted(page)
        widget = ChatWidget(page)
        widget.open()
        widget.wait_for_greeting()
        samples = []
        for i in range(messages):
            samples.append(page.evaluate(MEASURE_ROUND_TRIP_JS, QUESTIONS[i % len(QUESTIONS)]))
            page.wait_for_timeout(150)  # let follow-up messages of the turn arrive
        browser.close()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--chromium", default=CHROMIUM_PATH)
    parser.add_argument("--model", type=Path, help="a trained model (default: train or reuse the test cache's)")
    args = parser.parse_args()

    model = args.model or servers.trained_model_path()
    with tempfile.TemporaryDirectory(prefix="bench-widget-") as tmp:
        workdir = Path(tmp)
        env = {  # the same throwaway settings the test suite uses (tests/conftest.py: stack_env)
            "INTAKE_DATABASE_URL": f"sqlite:///{workdir / 'intake.db'}",
            "TRACKER_DATABASE_URL": f"sqlite:///{workdir / 'tracker.db'}",
            "TWILIO_AUTH_TOKEN": "bench-not-a-secret",
        }
        providers = servers.provider_service(workdir)
        with servers.running(providers):
            env["PROVIDER_SEARCH_URL"] = providers.url
            actions = servers.action_server(workdir, env=env)
            with servers.running(actions):
                rasa = servers.rasa_server(model, workdir, actions.port, env=env)
                with servers.running(rasa), widget_server(workdir, rasa.url) as demo:
                    samples = measure(demo.url, args.messages, args.chromium)
    quantiles = statistics.quantiles(samples, n=100)
    print(f"widget send-to-rendered latency over {len(samples)} messages: "
          f"p50 {statistics.median(samples):.0f} ms, p90 {quantiles[89]:.0f} ms, "
          f"min {min(samples):.0f} ms, max {max(samples):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
