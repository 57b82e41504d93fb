"""Per-message latency over the REST channel: this assistant vs a stock `rasa init` bot.

Both bots run as real Rasa servers on this machine at the same time and get the
same 500 messages, one at a time and interleaved (each message goes to every bot in
turn), each from a new or ongoing conversation (a new sender every 10 messages).
Prints p50/p95/mean per bot and the messages/s that one client sees, then the same
with 8 concurrent clients (one bot at a time); then two conversations of 160 turns
each, interleaved too, and how much slower their last ten turns are than their first ten.

    .venv/bin/python scripts/bench_latency.py [--messages 500] [--model models/x.tar.gz]

The stock bot is created with `rasa init --no-prompt` in a temp folder and trained
with Rasa's default config (DIET, ResponseSelector, TED, ...); it is cached in
var/bench/stock-bot between runs. It is served twice: as stock Rasa serves it ("stock rasa
init": plain `rasa run`, Rasa's REST channel, in-memory stores: the reference the targets are
set against), and as runs before 2026-11-30 served it ("stock, our launcher": this project's
`bot.rasa_cli`, tracker store and NLG, which speed it up as well).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support import servers  # noqa: E402

# credentials.yml needs it to start Rasa; the benchmark never calls the SMS webhook.
os.environ.setdefault("TWILIO_AUTH_TOKEN", "bench-only-token")
# The REST channel's and the action server's shared secrets (earlier versions ignore them).
os.environ["REST_CHANNEL_TOKEN"] = os.environ.get("REST_CHANNEL_TOKEN") or "bench-only-rest-token"
os.environ["ACTION_SERVER_TOKEN"] = os.environ.get("ACTION_SERVER_TOKEN") or "bench-only-action-token"
REST_HEADERS = {"Authorization": f"Bearer {os.environ['REST_CHANNEL_TOKEN']}"}

MESSAGES = [
    "hi", "what is psychodynamic therapy?", "how is it different from psychoanalysis",
    "so how often would I go?", "which one is better for me", "how does it work",
    "what is transference", "tell me about mentalization based therapy", "does it help with anxiety",
    "is there any evidence it works", "how long does it take", "will I lie on a couch",
    "how much does it cost", "how soon can I be seen", "are you a bot?", "thanks", "bye",
    "what's the weather like", "wat is psychodynamic thrpy lol", "asdf qwer",
]


def stock_bot_model(cache: Path) -> Path:
    models = sorted((cache / "models").glob("*.tar.gz")) if cache.exists() else []
    if models:
        return models[-1]
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    print("training the stock `rasa init` bot (default config; a few minutes)...", flush=True)
    subprocess.run([servers.RASA, "init", "--no-prompt", "--init-dir", str(cache)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return sorted((cache / "models").glob("*.tar.gz"))[-1]


async def post_timed(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> float:
    """Milliseconds from sending one message to reading the whole reply."""
    start = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as resp:
        await resp.read()
        assert resp.status == 200, resp.status
    return (time.perf_counter() - start) * 1000


async def send_all(url: str, messages: List[str], sender_prefix: str,
                   headers: Optional[Dict[str, str]] = None) -> List[float]:
    """Milliseconds per message, sent one after another (ten messages per conversation)."""
    async with aiohttp.ClientSession(headers=headers or REST_HEADERS) as session:
        return [await post_timed(session, url, f"{sender_prefix}-{i // 10}", text) for i, text in enumerate(messages)]


def summary(timings: List[float], elapsed_s: float) -> dict:
    timings = sorted(timings)
    return {
        "p50": statistics.median(timings),
        "p95": timings[int(len(timings) * 0.95) - 1],
        "mean": statistics.mean(timings),
        "throughput": len(timings) / elapsed_s,
    }


def workload(count: int) -> List[str]:
    return (MESSAGES * (count // len(MESSAGES) + 1))[:count]


async def measure(url: str, count: int, clients: int, label: str) -> dict:
    base = workload(count)
    await send_all(url, base[:20], f"warmup-{label}")
    per_client = [base[i::clients] for i in range(clients)]
    start = time.perf_counter()
    results = await asyncio.gather(*(send_all(url, msgs, f"{label}-c{c}") for c, msgs in enumerate(per_client)))
    return summary([t for r in results for t in r], time.perf_counter() - start)


async def measure_interleaved(urls: Dict[str, str], count: int) -> Dict[str, dict]:
    """One client for all bots, message by message: each message goes to every bot in turn (which
    bot goes first alternates), so a slow moment of this shared machine falls on all of them alike.
    Throughput: messages over the bot's own reply time."""
    base = workload(count)
    for label, url in urls.items():
        await send_all(url, base[:20], f"warmup-{label}-1")
    timings: Dict[str, List[float]] = {label: [] for label in urls}
    labels = list(urls)
    async with aiohttp.ClientSession(headers=REST_HEADERS) as session:
        for i, text in enumerate(base):
            for label in (labels if i % 2 == 0 else labels[::-1]):
                timings[label].append(await post_timed(session, urls[label], f"{label}-1c-{i // 10}", text))
    return {label: summary(t, sum(t) / 1000) for label, t in timings.items()}


async def long_conversations(urls: Dict[str, str], turns: int = 160, conversations: int = 2) -> Dict[str, dict]:
    """p50 of turns 1-10 and of the last ten turns of `conversations` conversations of `turns`
    messages each, sent one after another on one sender (nothing expires in between); the bots
    take turns message by message, as in measure_interleaved."""
    early: Dict[str, List[float]] = {label: [] for label in urls}
    late: Dict[str, List[float]] = {label: [] for label in urls}
    labels = list(urls)
    async with aiohttp.ClientSession(headers=REST_HEADERS) as session:
        for c in range(conversations):
            for i in range(turns):
                for label in (labels if i % 2 == 0 else labels[::-1]):
                    sender = f"long-{label.replace(' ', '-')}-{c}"
                    ms = await post_timed(session, urls[label], sender, MESSAGES[i % len(MESSAGES)])
                    (early[label] if i < 10 else late[label] if i >= turns - 10 else []).append(ms)
    return {label: {"first10_p50": statistics.median(early[label]), "last10_p50": statistics.median(late[label]),
                    "ratio": statistics.median(late[label]) / statistics.median(early[label])} for label in urls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--model", type=Path, help="our model (default: newest in models/)")
    parser.add_argument("--baseline", type=Path,
                        help="a checkout of an earlier version (git worktree) with its trained model in "
                             "<checkout>/models: measured in the same run, with its own code")
    args = parser.parse_args()
    our_model = args.model or sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1]
    stock_model = stock_bot_model(ROOT / "var" / "bench" / "stock-bot")
    # (label, model, kind, checkout): "stock" is served as stock Rasa serves it
    bots = [("ours", our_model, "ours", ROOT), ("stock rasa init", stock_model, "stock", ROOT),
            ("stock, our launcher", stock_model, "launcher", ROOT)]
    if args.baseline:
        baseline_model = sorted((args.baseline / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1]
        bots.insert(1, ("baseline", baseline_model, "ours", args.baseline.resolve()))

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started, urls = [], {}
        for label, model, kind, source in bots:
            bot_dir = work / label.replace(" ", "-").replace(",", "")
            bot_dir.mkdir()
            action = servers.action_server(bot_dir, source=source) if kind == "ours" else None
            rasa = (servers.stock_rasa_server(model, bot_dir) if kind == "stock" else
                    servers.rasa_server(model, bot_dir, action.port if action else None, source=source))
            started += [s for s in (action, rasa) if s]
            urls[label] = rasa.url + "/webhooks/rest/webhook"
        with servers.running(*started):
            for label, figures in asyncio.run(measure_interleaved(urls, args.messages)).items():
                rows.append((label, 1, figures))
            for label, url in urls.items():  # eight clients: one bot at a time, the others idle
                rows.append((label, 8, asyncio.run(measure(url, args.messages, 8, f"{label}-8"))))
            long_rows = list(asyncio.run(long_conversations(urls)).items())

    print(f"\n{args.messages} messages over REST, Rasa 3.6.21, this machine")
    print(f"{'bot':20s} {'clients':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'mean ms':>8s} {'msg/s':>7s}")
    for label, clients, f in rows:
        print(f"{label:20s} {clients:7d} {f['p50']:8.1f} {f['p95']:8.1f} {f['mean']:8.1f} {f['throughput']:7.1f}")
    one_client = {label: f["p50"] for label, clients, f in rows if clients == 1}
    for reference in ("stock rasa init", "stock, our launcher"):
        print(f"p50 at one client, ours / {reference}: {one_client['ours'] / one_client[reference]:.2f}"
              + (" (target <= 0.5)" if reference == "stock rasa init" else ""))
    print("\nlong conversations (2 x 160 turns, one sender each; target: turns 151-160 at most 1.5x turns 1-10)")
    print(f"{'bot':20s} {'turns 1-10 p50':>15s} {'151-160 p50':>12s} {'ratio':>6s}")
    for label, f in long_rows:
        print(f"{label:20s} {f['first10_p50']:15.1f} {f['last10_p50']:12.1f} {f['ratio']:6.2f}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(json.dumps([{"bot": l, "clients": c, **f} for l, c, f in rows] + [{"bot": l, "long": f} for l, f in long_rows]))


if __name__ == "__main__":
    main()
