"""Crisis messages first at the load balancer (deploy/haproxy.py, deploy/triage.py), with the real
HAProxy: in front of a stand-in worker that takes its time, and reading bodies as the Python
measurement of the triage reads them."""
import asyncio
import json
import re
import subprocess
import urllib.parse
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from deploy.haproxy import MESSAGES_PER_WORKER, haproxy_config
from deploy.triage import (CUES_FILE, cue_expression, learn_cues, load_cues, put_first, training_examples,
                           write_triage_expression)
from risk.classifier import load_examples
from scripts.serve import haproxy_binary
from tests.support import servers

REST = "/webhooks/rest/webhook"
SMS = "/webhooks/twilio/webhook"
ORDINARY = "how long does psychodynamic therapy usually take"
CRISIS = "i took all my pills and i want to die"


def triage_matches(text: str) -> bool:
    return put_first(cue_expression(load_cues()))(text)


def test_the_test_messages_are_what_they_stand_for():
    assert triage_matches(CRISIS) and not triage_matches(ORDINARY)


def run_haproxy(config_text: str, workdir: Path) -> subprocess.Popen:
    config = workdir / "haproxy.cfg"
    config.write_text(config_text)
    check = subprocess.run([haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    process = subprocess.Popen([haproxy_binary(), "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    return process


async def held_worker(arrivals: list, answers: asyncio.Semaphore) -> web.AppRunner:
    """A stand-in Rasa worker: healthy; records what arrives, in order, and answers a message only
    when the test releases `answers` once more (each release lets one message be answered)."""
    async def message(request: web.Request) -> web.Response:
        if request.path == SMS:
            arrivals.append((await request.post())["Body"])
        else:
            arrivals.append((await request.json())["message"])
        await answers.acquire()
        return web.json_response([])

    app = web.Application()
    async def healthy(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/webhooks/health/ready", healthy)
    app.router.add_post(REST, message)
    app.router.add_post(SMS, message)
    runner = web.AppRunner(app)
    await runner.setup()
    return runner


async def queued_in_haproxy(stats_socket: Path, backend: str) -> int:
    """Requests waiting in `backend`'s queue, from HAProxy's own statistics (`show stat`, field qcur)."""
    reader, writer = await asyncio.open_unix_connection(str(stats_socket))
    writer.write(b"show stat\n")
    await writer.drain()
    csv = (await reader.read()).decode()
    writer.close()
    header, *rows = csv.lstrip("# ").splitlines()
    fields = header.split(",")
    return sum(int(row[fields.index("qcur")] or 0) for row in (r.split(",") for r in rows if r)
               if row[0] == backend)


async def wait_for(condition, what: str) -> None:
    for _ in range(200):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def wait_until_healthy(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered 200")


@pytest.mark.e2e  # the real HAProxy (make setup-test), so not in make test-fast
@pytest.mark.parametrize("channel", ["rest", "sms"])
async def test_a_crisis_message_is_taken_from_the_queue_before_earlier_messages(tmp_path, channel):
    # no timing: the worker holds every message until the test lets it answer one, and HAProxy's own
    # queue count says when the earlier messages, then the crisis message, are waiting (CI ran this
    # beside training, and a 0.3 s pause was once not enough)
    arrivals: list = []
    answers = asyncio.Semaphore(0)
    waiting = 4  # queued behind the MESSAGES_PER_WORKER in hand
    runner = await held_worker(arrivals, answers)
    worker_port, port = servers.free_port(), servers.free_port()
    await web.TCPSite(runner, "127.0.0.1", worker_port).start()
    stats_socket = tmp_path / "haproxy.sock"
    config = haproxy_config([worker_port], [servers.free_port()], port, servers.free_port(),
                            write_triage_expression(str(tmp_path / "triage.re")))
    config = config.replace("global\n", f"global\n    stats socket {stats_socket}\n", 1)
    haproxy = run_haproxy(config, tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_until_healthy(base + "/webhooks/health/ready")

        async def send(session: aiohttp.ClientSession, text: str) -> int:
            if channel == "rest":
                request = session.post(base + REST, json={"sender": "triage-test", "message": text})
            else:  # Twilio's form, its other fields included
                request = session.post(base + SMS, data={"ToCountry": "US", "Body": text, "From": "+15555550100",
                                                          "SmsStatus": "received", "ApiVersion": "2010-04-01"})
            async with request as response:
                return response.status

        def held_and_queued(held: int, queued: int):
            async def check() -> bool:
                return len(arrivals) == held and await queued_in_haproxy(stats_socket, "rasa_workers") == queued
            return check

        async with aiohttp.ClientSession() as session:
            earlier = [asyncio.create_task(send(session, f"{ORDINARY} {n}")) for n in range(MESSAGES_PER_WORKER + waiting)]
            await wait_for(held_and_queued(MESSAGES_PER_WORKER, waiting),
                           f"{MESSAGES_PER_WORKER} messages in the worker's hands, {waiting} queued")
            crisis = asyncio.create_task(send(session, CRISIS))
            await wait_for(held_and_queued(MESSAGES_PER_WORKER, waiting + 1), "the crisis message queued behind them")
            # one message answered frees one place: the crisis message takes it, not the four waiting longer
            answers.release()
            await wait_for(held_and_queued(MESSAGES_PER_WORKER + 1, waiting), "the next message taken from the queue")
            assert arrivals[MESSAGES_PER_WORKER] == CRISIS, arrivals
            for _ in range(MESSAGES_PER_WORKER + waiting):
                answers.release()
            statuses = await asyncio.gather(*earlier, crisis)
        assert statuses == [200] * (MESSAGES_PER_WORKER + waiting + 1)
        assert len(arrivals) == MESSAGES_PER_WORKER + waiting + 1
    finally:
        for _ in range(MESSAGES_PER_WORKER + waiting + 1):  # a failed assertion leaves messages held
            answers.release()
        haproxy.terminate()
        haproxy.wait(timeout=10)
        await runner.cleanup()


def sample_texts():
    """Writers' messages of both kinds, English and Spanish (accents, ñ, quotes, '+', '&', line breaks)."""
    examples = load_examples()
    spanish = [e.text for e in examples if e.lang == "es"]
    english = [e.text for e in examples if e.lang == "en"]
    return (spanish[::max(len(spanish) // 60, 1)][:60] + english[::max(len(english) // 90, 1)][:90]
            + ["can't + won't & \"quoted\"\nkill\tmyself", "KILL MYSELF", "killmyself", "¿Qué? quiero morirme", "ya no puedo más 😭 me quiero morir"])


@pytest.mark.e2e
async def test_haproxy_reads_a_message_as_the_triage_measurement_reads_it(tmp_path):
    """The acl lines of the shipped configuration, answering what they decided: REST (JSON as
    Python and browsers encode it) and SMS (form-encoded) agree with the expression in Python."""
    port = servers.free_port()
    shipped = haproxy_config([servers.free_port()], [servers.free_port()], port, servers.free_port(),
                             write_triage_expression(str(tmp_path / "triage.re")))
    backend = re.split(r"\n(?:backend|frontend) ", shipped.split("\nbackend rasa_workers\n", 1)[1], maxsplit=1)[0]
    triage_lines = "\n".join(line for line in backend.splitlines()
                              if line.strip().startswith(("acl ", "http-request set-priority-class")))
    assert "set-priority-class" in triage_lines
    haproxy = run_haproxy(f"""defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    option http-buffer-request
frontend verdicts
    bind 127.0.0.1:{port}
{triage_lines}
    http-request return status 200 content-type text/plain string crisis if {{ prio_class lt 0 }}
    http-request return status 200 content-type text/plain string other
""", tmp_path)
    try:
        texts = sample_texts()
        expected = [triage_matches(t) for t in texts]
        assert 0 < sum(expected) < len(expected)
        async with aiohttp.ClientSession() as session:
            await wait_until_healthy(f"http://127.0.0.1:{port}/")

            async def verdict(body: bytes, content_type: str) -> bool:
                async with session.post(f"http://127.0.0.1:{port}{REST}", data=body,
                                        headers={"Content-Type": content_type}) as response:
                    return (await response.text()) == "crisis"

            for text, wanted in zip(texts, expected):
                for ascii_only in (True, False):
                    body = json.dumps({"sender": "s", "message": text}, ensure_ascii=ascii_only)
                    if ascii_only and any(ord(c) > 0xFFFF for c in text):  # HAProxy reads the whole body
                        wanted_here = triage_matches(body)
                    else:
                        wanted_here = wanted
                    assert await verdict(body.encode(), "application/json") == wanted_here, (text, ascii_only)
                form = urllib.parse.urlencode({"ToCountry": "US", "Body": text, "From": "+15555550100"}).encode()
                assert await verdict(form, "application/x-www-form-urlencoded") == wanted, text
    finally:
        haproxy.terminate()
        haproxy.wait(timeout=10)


def test_the_cues_file_is_what_the_training_data_teaches():
    """The committed cues are learned from today's training split: after a data change, the test
    says to run `python -m deploy.triage --write`."""
    train, _ = training_examples()
    assert learn_cues(train) == load_cues(), f"{CUES_FILE} is stale: run .venv/bin/python -m deploy.triage --write"


def test_the_frozen_triage_set_is_unchanged_and_covers_both_languages():
    """scripts/eval_triage.py's set: checked against its sums, never used to choose a cue."""
    from scripts.eval_triage import DEFAULT_SET, _key, training_texts, verified_messages

    messages = verified_messages(DEFAULT_SET)
    assert len({m["id"] for m in messages}) == len(messages) == 400
    assert sum(m["crisis"] and m["lang"] == "es" for m in messages) >= 40
    assert sum(not m["crisis"] and m["lang"] == "es" for m in messages) >= 40
    # 19 short common ones ("help") equal a risk writer's text; eval_triage.py reports without them too
    seen = training_texts()
    assert sum(_key(m["text"]) in seen for m in messages) <= 19
