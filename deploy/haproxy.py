"""The HAProxy configuration of the production mode: one home for what the edge enforces.

In front of N Rasa workers (HTTP, REST + socket.io + SMS) and M action servers:
- rejects malformed requests before they reach Sanic 21.12 (e.g. `Content-Length: -5`, which makes
  that Sanic release spin forever: HAProxy's HTTP parser answers 400 itself);
- caps the request body (MAX_BODY_BYTES, 413) and applies per-client rate limits (429);
- timeouts for slow clients and servers; health checks (Rasa: GET /webhooks/health/ready, which is
  200 whenever crisis replies can be sent; action servers: GET /health); when every Rasa worker
  fails its check the workers are tried anyway (a 503 answers nobody in crisis);
- sticky sessions by cookie for the widget's socket.io (its polling transport needs one worker), round
  robin for REST and SMS (the Redis lock store and the shared tracker store keep a conversation in
  order on any worker); a request that could not reach a worker is retried on another;
- crisis messages first: REST and SMS messages beyond MESSAGES_PER_WORKER per worker wait in
  HAProxy's queue instead of inside the workers, and a message matching the triage expression
  (deploy/triage.py: words learned from the risk training data) is taken from the queue first.
  Uncapped, each of two workers held 16 messages of 32 clients at once and a crisis message was
  answered behind them (p95 1.0-1.2 s); now it waits for the two in hand (docs/CAPACITY.md).
  Socket.io is not queued (a websocket holds its connection for the whole visit, so a per-worker
  cap would lock visitors out), so the widget's messages get no priority;
- logs only the requests that went wrong (ERROR_LOG_FORMAT: no address, no request line).
"""
from __future__ import annotations

from typing import Sequence

MAX_BODY_BYTES = 128 * 1024
REQUESTS_PER_10S_PER_CLIENT = 200
MESSAGES_PER_WORKER = 2  # REST and SMS messages a worker holds at once; the rest queue in HAProxy
QUEUE_TIMEOUT_S = 30  # HAProxy's default is `timeout connect` (2 s): a busy minute would answer 503s
# HAProxy's log line for a request that went wrong, with nothing that identifies the visitor: the
# time, backend/server, timings (request/queue/connect/response/total ms), status, termination state
# (e.g. sC: the server refused the connection), connection counts/retries, queue lengths
ERROR_LOG_FORMAT = "%tr %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq"


def haproxy_config(rasa_ports: Sequence[int], action_ports: Sequence[int], port: int,
                   actions_port: int, triage_file: str, bind: str = "127.0.0.1") -> str:
    """`triage_file`: deploy.triage.write_triage_expression's output (read by HAProxy at start)."""

    def rasa_servers(options: str = "", sticky: bool = False) -> str:
        # a refused connection marks the worker down at once: a dead worker's slots are always free,
        # so a capped backend's retries would all go to it while the live workers are full (503s)
        checked = "\n".join(f"    server rasa{n} 127.0.0.1:{p} check inter 2s fall 3 rise 2"
                            f" observe layer4 error-limit 1 on-error mark-down{options}"
                            + (f" cookie rasa{n}" if sticky else "") for n, p in enumerate(rasa_ports, start=1))
        # the same workers again, unchecked, as backups: used only when every check has failed
        unchecked = "\n".join(f"    server rasa{n}-unchecked 127.0.0.1:{p} backup{options}"
                              for n, p in enumerate(rasa_ports, start=1))
        return f"{checked}\n{unchecked}"

    action_servers = "\n".join(
        f"    server actions{n} 127.0.0.1:{p} check inter 2s fall 3 rise 2"
        for n, p in enumerate(action_ports, start=1))
    return f"""global
    maxconn 4096
    # to HAProxy's standard output (make serve: its workdir's haproxy.log; a container: its log)
    log stdout format raw local0

defaults
    mode http
    # only requests that failed, timed out, were retried or were redispatched, and without the
    # client's address or the request line: which backend and server, the timings, the status,
    # the termination state and the retries (a "+" when redispatched)
    log global
    option dontlog-normal
    log-format "{ERROR_LOG_FORMAT}"
    option http-buffer-request
    timeout connect 2s
    timeout client 30s
    timeout server 45s
    timeout http-request 10s
    timeout tunnel 1h
    # a worker busy with 8+ clients answered its health check in over 1 s and was marked down
    # (every request then got 503): checks wait 5 s, and three misses in a row take a worker out
    timeout check 5s
    # a message whose worker died before answering is sent again, each retry to another worker
    # (`option redispatch 1`; plain `option redispatch` retried the dead worker first and moved on
    # only at the last retry); one the dead worker had already stored is stored twice
    retries 2
    option redispatch 1
    retry-on conn-failure empty-response

frontend assistant
    bind {bind}:{port}
    http-request deny deny_status 413 if {{ req.body_size gt {MAX_BODY_BYTES} }}
    stick-table type ip size 100k expire 60s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt {REQUESTS_PER_10S_PER_CLIENT} }}
    use_backend rasa_sockets if {{ path_beg /socket.io/ }}
    default_backend rasa_workers

# REST and SMS: queued here, crisis messages first (the REST channel's JSON "message", Twilio's form "Body")
backend rasa_workers
    balance roundrobin
    timeout queue {QUEUE_TIMEOUT_S}s
    acl crisis_words req.body,json_query('$.message'),lower -m reg -f {triage_file}
    acl crisis_words req.body_param(Body),url_dec(1),lower -m reg -f {triage_file}
    # JSON HAProxy cannot decode (an emoji escaped as a surrogate pair, as Python clients send it): the whole body
    acl json_body req.hdr(content-type) -m sub json
    acl json_message req.body,json_query('$.message') -m found
    acl crisis_words_in_body req.body,lower -m reg -f {triage_file}
    http-request set-priority-class int(-1) if crisis_words || json_body !json_message crisis_words_in_body
    option httpchk GET /webhooks/health/ready
    http-check expect status 200
    # fail open: workers too busy to answer their checks in time (32 clients on two cores marked
    # both down and every message, crisis messages too, got a 503) are still tried
    option allbackups
{rasa_servers(f" maxconn {MESSAGES_PER_WORKER}")}

# the widget's socket.io: one worker per visit (its polling transport keeps state there), no cap
backend rasa_sockets
    balance roundrobin
    cookie RASAWORKER insert indirect nocache httponly
    option httpchk GET /webhooks/health/ready
    http-check expect status 200
    option allbackups
{rasa_servers(sticky=True)}

frontend actions
    bind 127.0.0.1:{actions_port}
    default_backend action_servers

backend action_servers
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
{action_servers}
"""
