"""deploy/kubernetes/: every manifest against the Kubernetes API schemas, and what schemas cannot see.

Schemas: the strict JSON schemas (unknown fields fail) of Kubernetes KUBERNETES_VERSION that the
kubernetes-validate package ships, checked with jsonschema's Draft 2020-12 validator. The package
is used for its schema files only: its own validate() needs jsonschema >= 4.18 and `referencing`,
and Rasa 3.6 pins jsonschema < 4.18, so it is located without being imported.

Beyond the schemas: Services select pods that exist, Secret keys exist, the cluster's endpoints.yml
names the in-cluster Services and the production store and broker classes, probes ask paths the
code serves on ports the commands listen on, no literal secret, the HAProxy edge's limits carried
over to the ingress, and the containers' security settings.
"""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterator, List, Tuple
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft202012Validator, RefResolver

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.33.0"
SECRET_NAME = "pretherapy-secrets"
PLACEHOLDER = "CHANGE-ME"
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
# Images whose entrypoint writes to the root file system (rabbitmq.yaml says why).
WRITABLE_ROOT_CONTAINERS = {"rabbitmq"}
SECRET_LIKE_NAME = re.compile(r"(TOKEN|PASSWORD|PASS|SECRET|SALT|_KEY|_KEYS)$")


# -- loading -------------------------------------------------------------------------------------

def manifest_files() -> List[Path]:
    return sorted(p for p in MANIFESTS.glob("*.yaml") if p.name != "kustomization.yaml")


@lru_cache(maxsize=None)
def load(name: str) -> Tuple[dict, ...]:
    return tuple(doc for doc in yaml.safe_load_all((MANIFESTS / name).read_text()) if doc)


def documents(include_example_secret: bool = True) -> Iterator[Tuple[str, dict]]:
    for path in manifest_files():
        if path.name == "secret.example.yaml" and not include_example_secret:
            continue
        for doc in load(path.name):
            yield path.name, doc


def of_kind(*kinds: str) -> List[dict]:
    return [doc for _, doc in documents() if doc["kind"] in kinds]


def pod_spec(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def pod_labels(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    return doc["spec"]["template"]["metadata"]["labels"]


def pod_owners() -> List[dict]:
    return of_kind("Deployment", "StatefulSet", "CronJob")


def containers(doc: dict, with_init: bool = True) -> List[dict]:
    spec = pod_spec(doc)
    return list(spec.get("initContainers", []) if with_init else []) + list(spec["containers"])


def all_containers() -> Iterator[Tuple[dict, dict]]:
    for doc in pod_owners():
        for container in containers(doc):
            yield doc, container


def workload(name: str) -> dict:
    [doc] = [d for d in of_kind(*WORKLOAD_KINDS) if d["metadata"]["name"] == name]
    return doc


def container(doc: dict, name: str) -> dict:
    [found] = [c for c in containers(doc) if c["name"] == name]
    return found


def env_of(container_: dict) -> Dict[str, dict]:
    return {entry["name"]: entry for entry in container_.get("env", [])}


def configmap_data(name: str) -> dict:
    [doc] = [d for d in of_kind("ConfigMap") if d["metadata"]["name"] == name]
    return doc["data"]


def services() -> Dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in of_kind("Service")}


# -- the schemas ---------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def schema_dir() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("kubernetes-validate is not installed: run `make setup` (pyproject's test extra)")
    directory = Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema" / \
        f"v{KUBERNETES_VERSION}-local-strict"
    assert directory.is_dir(), f"kubernetes-validate ships no schemas for {KUBERNETES_VERSION}"
    return directory


@lru_cache(maxsize=None)
def definitions() -> dict:
    return json.loads((schema_dir() / "_definitions.json").read_text())


def validator_for(doc: dict) -> Draft202012Validator:
    return _validator(doc["apiVersion"], doc["kind"])


@lru_cache(maxsize=None)
def _validator(api_version: str, kind: str) -> Draft202012Validator:
    # one per kind, kept: its resolver keeps the definitions it has looked up (a fresh validator
    # per object looked every one up again, about half of this module's time)
    # apps/v1 -> apps-v1, networking.k8s.io/v1 -> networking-v1, v1 -> v1 (kubernetes-validate's names)
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = schema_dir() / f"{kind.lower()}-{api}.json"
    assert path.exists(), f"no Kubernetes {KUBERNETES_VERSION} schema for {api_version} {kind}"
    schema = json.loads(path.read_text())
    base = schema["$id"].split("/api/")[0]
    resolver = RefResolver.from_schema(schema, store={f"{base}/api/_definitions.json": definitions()})
    return Draft202012Validator(schema, resolver=resolver)


def schema_errors(doc: dict) -> List[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator_for(doc).iter_errors(doc)]


def test_every_manifest_file_holds_kubernetes_objects():
    names = [p.name for p in manifest_files()]
    for expected in ("rasa.yaml", "action-server.yaml", "providers.yaml", "console.yaml", "intake-relay.yaml",
                     "postgresql.yaml", "redis.yaml", "rabbitmq.yaml", "ingress.yaml", "configmap.yaml",
                     "secret.example.yaml"):
        assert expected in names
    for name, doc in documents():
        assert {"apiVersion", "kind", "metadata"} <= doc.keys(), name
        assert "namespace" not in doc["metadata"], f"{name}: manifests are namespace-free"


@pytest.mark.parametrize("name,doc", [pytest.param(n, d, id=f"{n}:{d['kind']}/{d['metadata']['name']}")
                                      for n, d in documents()])
def test_manifest_is_valid_for_the_kubernetes_api(name, doc):
    assert schema_errors(doc) == []


def test_the_schema_check_rejects_what_the_api_server_would():
    rasa = json.loads(json.dumps(workload("rasa")))
    assert schema_errors(rasa) == []
    unknown_field = json.loads(json.dumps(rasa))
    unknown_field["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}  # misspelt
    assert any("readinessprobe" in e for e in schema_errors(unknown_field))
    wrong_type = json.loads(json.dumps(rasa))
    wrong_type["spec"]["replicas"] = "two"
    assert schema_errors(wrong_type)
    no_image_name = json.loads(json.dumps(rasa))
    del no_image_name["spec"]["template"]["spec"]["containers"][0]["name"]
    assert schema_errors(no_image_name)


def test_kustomization_applies_every_manifest_but_the_example_secret():
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in manifest_files()} - {"secret.example.yaml"}
    assert "namespace" not in kustomization
    images = {image["name"] for image in kustomization["images"]}
    used = {c["image"].rsplit(":", 1)[0] for _, c in all_containers()}
    assert images <= used


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) not installed")
def test_kustomize_builds_the_same_objects():
    built = subprocess.run(["kubectl", "kustomize", str(MANIFESTS)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    objects = [d for d in yaml.safe_load_all(built.stdout) if d]
    assert sorted((d["kind"], d["metadata"]["name"]) for d in objects) == \
        sorted((d["kind"], d["metadata"]["name"]) for _, d in documents(include_example_secret=False))
    for obj in objects:
        assert schema_errors(obj) == []


# -- references between objects -------------------------------------------------------------------

def matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def test_every_service_selects_the_pods_of_one_workload():
    for name, service in services().items():
        selector = service["spec"]["selector"]
        owners = [d for d in of_kind(*WORKLOAD_KINDS) if matches(selector, pod_labels(d))]
        assert len(owners) == 1, f"Service {name} selects {len(owners)} workloads"
        ports = {p["name"] for c in containers(owners[0], with_init=False) for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, f"Service {name}: no container port {port['targetPort']}"


def test_workload_selectors_match_their_own_pod_labels():
    for doc in of_kind(*WORKLOAD_KINDS):
        assert matches(doc["spec"]["selector"]["matchLabels"], pod_labels(doc)), doc["metadata"]["name"]
        labels = pod_labels(doc)
        # Rasa's Helm charts select on app.kubernetes.io/name + instance
        assert set(doc["spec"]["selector"]["matchLabels"]) == {"app.kubernetes.io/name", "app.kubernetes.io/instance"}
        assert labels["app.kubernetes.io/part-of"] == "pretherapy-assistant"


def test_statefulsets_name_an_existing_headless_service():
    for doc in of_kind("StatefulSet"):
        service = services()[doc["spec"]["serviceName"]]
        assert service["spec"].get("clusterIP") == "None"
        assert matches(service["spec"]["selector"], pod_labels(doc))


def test_pod_disruption_budget_and_network_policies_select_existing_pods():
    for doc in of_kind("PodDisruptionBudget"):
        assert any(matches(doc["spec"]["selector"]["matchLabels"], pod_labels(d)) for d in of_kind(*WORKLOAD_KINDS))
    for policy in of_kind("NetworkPolicy"):
        assert any(matches(policy["spec"]["podSelector"]["matchLabels"], pod_labels(d)) for d in pod_owners())
        for rule in policy["spec"]["ingress"]:
            for peer in rule["from"]:
                assert any(matches(peer["podSelector"]["matchLabels"], pod_labels(d)) for d in pod_owners()), peer


def test_network_policies_let_every_client_reach_its_database_and_broker():
    def allowed(target: str) -> set:
        [policy] = [p for p in of_kind("NetworkPolicy") if p["metadata"]["name"] == target]
        return {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                for rule in policy["spec"]["ingress"] for peer in rule["from"]}

    uses_postgres = {pod_labels(d)["app.kubernetes.io/name"] for d in pod_owners()
                     if any("@postgresql:5432/" in e.get("value", "") for c in containers(d) for e in c.get("env", []))}
    assert uses_postgres - {"postgresql"} <= allowed("postgresql")
    assert {"rasa", "intake-relay"} <= allowed("rabbitmq")
    assert allowed("rasa-action-server") == {"rasa"}
    assert allowed("providers") == {"rasa-action-server"}


def test_ingress_backends_are_services_and_ports_that_exist():
    for ingress in of_kind("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = services()[backend["name"]]
                assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


# -- secrets --------------------------------------------------------------------------------------

def example_secret() -> dict:
    [doc] = load("secret.example.yaml")
    return doc


def secret_refs() -> List[Tuple[str, str, str]]:
    refs = []
    for doc, container_ in all_containers():
        for entry in container_.get("env", []):
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                refs.append((f"{doc['metadata']['name']}/{container_['name']}/{entry['name']}", ref["name"], ref["key"]))
    return refs


def test_every_secret_key_read_exists_in_the_example_secret_and_none_is_unused():
    secret = example_secret()
    assert secret["metadata"]["name"] == SECRET_NAME
    keys = set(secret["stringData"])
    refs = secret_refs()
    assert refs
    for where, name, key in refs:
        assert name == SECRET_NAME, where
        assert key in keys, f"{where} reads key {key}, missing from secret.example.yaml"
    assert keys == {key for _, _, key in refs}, "secret.example.yaml has keys no container reads"


def test_example_secret_holds_placeholders_only():
    secret = example_secret()
    assert "data" not in secret
    assert set(secret["stringData"].values()) == {PLACEHOLDER}


def test_no_manifest_holds_a_literal_secret():
    for doc, container_ in all_containers():
        where = f"{doc['metadata']['name']}/{container_['name']}"
        env = container_.get("env", [])
        for entry in env:
            if SECRET_LIKE_NAME.search(entry["name"]):
                assert "secretKeyRef" in entry.get("valueFrom", {}), f"{where}: {entry['name']} is not from the Secret"
            value = entry.get("value", "")
            parts = urlsplit(value) if "://" in value else None
            if parts and parts.password is not None:
                assert re.fullmatch(r"\$\([A-Z_]+\)", parts.password), f"{where}: {entry['name']} has a password"
        for arg in container_.get("args", []) + container_.get("command", []):
            if "://" in arg and "@" in arg:
                assert re.fullmatch(r"\$\([A-Z_]+\)", urlsplit(arg).password or ""), f"{where}: password in {arg}"
    # The ConfigMap's endpoints take every password and token from the environment.
    endpoints = yaml.safe_load(configmap_data("rasa")["endpoints"])
    assert endpoints["tracker_store"]["password"] == "${TRACKER_DB_PASSWORD}"
    assert endpoints["lock_store"]["password"] == "${REDIS_PASSWORD}"
    assert endpoints["event_broker"]["password"] == "${RABBITMQ_PASSWORD}"
    assert endpoints["action_endpoint"]["headers"]["Authorization"] == "Bearer ${ACTION_SERVER_TOKEN}"
    assert yaml.safe_load(configmap_data("rasa")["credentials"])["bot.channels.sms.SMSInput"]["auth_token"] == \
        "${TWILIO_AUTH_TOKEN}"
    # and no laptop default found its way in (Makefile, scripts/serve.py)
    text = "".join(p.read_text() for p in manifest_files())
    for laptop_value in ("dev-only-twilio-token", "guest:guest", "bench-only"):
        assert laptop_value not in text


def test_environment_references_are_defined_earlier_in_the_same_container():
    """Kubernetes fills $(VAR) only from variables listed before it; a later or missing one stays literal."""
    for doc, container_ in all_containers():
        defined: List[str] = []
        for entry in container_.get("env", []):
            for name in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", entry.get("value", "")):
                assert name in defined, f"{doc['metadata']['name']}: {entry['name']} uses $({name}) before it is set"
            defined.append(entry["name"])
        for arg in container_.get("args", []) + container_.get("command", []):
            for name in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", arg):
                assert name in defined, f"{doc['metadata']['name']}: argument uses undefined $({name})"


def test_rasa_has_every_variable_its_endpoints_and_credentials_name():
    """Rasa refuses to start on an unset ${VAR} in endpoints.yml or credentials.yml."""
    env = env_of(container(workload("rasa"), "rasa"))
    data = configmap_data("rasa")
    for key in ("endpoints", "credentials"):
        for name in re.findall(r"\$\{([A-Z_]+)\}", data[key]):
            assert name in env, f"{key} needs {name}"


def test_every_process_that_stores_data_has_the_data_keys():
    """Without DATA_ENCRYPTION_KEYS a process would generate a key file (privacy/keys.py): on a
    read-only root file system it fails, and with several pods each would encrypt with its own key."""
    for doc, container_ in all_containers():
        env = env_of(container_)
        if "INTAKE_DATABASE_URL" in env or container_["name"] == "rasa":
            assert {"DATA_ENCRYPTION_KEYS", "DATA_INDEX_KEY"} <= env.keys(), container_["name"]


# -- the cluster's endpoints.yml --------------------------------------------------------------------

def test_cluster_endpoints_use_the_production_store_and_broker_classes():
    cluster = yaml.safe_load(configmap_data("rasa")["endpoints"])
    production = yaml.safe_load((ROOT / "endpoints.scale.yml").read_text())
    for section in ("tracker_store", "lock_store", "event_broker", "nlg"):
        assert cluster[section]["type"] == production[section]["type"], section
    assert cluster["tracker_store"]["dialect"] == production["tracker_store"]["dialect"] == "postgresql"
    assert cluster["event_broker"]["queues"] == production["event_broker"]["queues"]
    assert cluster["lock_store"]["key_prefix"] == production["lock_store"]["key_prefix"]
    assert cluster["lock_store"]["db"] == production["lock_store"]["db"]


def test_cluster_endpoints_name_the_in_cluster_services():
    cluster = yaml.safe_load(configmap_data("rasa")["endpoints"])
    svc = services()

    def service_port(name: str) -> set:
        return {p["port"] for p in svc[name]["spec"]["ports"]}

    assert cluster["tracker_store"]["url"] == "postgresql" and cluster["tracker_store"]["port"] in service_port("postgresql")
    assert cluster["lock_store"]["url"] == "redis" and cluster["lock_store"]["port"] in service_port("redis")
    assert cluster["event_broker"]["url"] == "rabbitmq" and cluster["event_broker"]["port"] in service_port("rabbitmq")
    action = urlsplit(cluster["action_endpoint"]["url"])
    assert action.hostname == "rasa-action-server" and action.port in service_port("rasa-action-server")
    assert action.path == "/webhook"
    # the pending file lives on a writable volume of the Rasa pod
    pending = Path(cluster["event_broker"]["pending_db"])
    mounts = {m["mountPath"]: m for m in container(workload("rasa"), "rasa")["volumeMounts"]}
    assert str(pending.parent) in mounts and not mounts[str(pending.parent)].get("readOnly")
    # the tracker database is the one PostgreSQL creates, the others come from its init script
    postgres_env = env_of(container(workload("postgresql"), "postgresql"))
    assert postgres_env["POSTGRES_DB"]["value"] == cluster["tracker_store"]["db"]
    assert postgres_env["POSTGRES_USER"]["value"] == env_of(container(workload("rasa"), "rasa"))["TRACKER_DB_USER"]["value"]
    init_script = configmap_data("postgresql-initdb")["10-databases.sh"]
    for doc, container_ in all_containers():
        for entry in container_.get("env", []):
            value = entry.get("value", "")
            if value.startswith("postgresql://"):
                parts = urlsplit(value)
                assert parts.hostname == "postgresql" and parts.port in service_port("postgresql")
                database = parts.path.lstrip("/")
                assert database == cluster["tracker_store"]["db"] or re.search(rf"\b{database}\b", init_script), value


def test_cluster_credentials_open_the_same_channels_as_the_repo():
    cluster = yaml.safe_load(configmap_data("rasa")["credentials"])
    repo = yaml.safe_load((ROOT / "credentials.yml").read_text())
    assert set(cluster) == set(repo)
    assert cluster["bot.channels.socketio.WebSessionSocketIOInput"] == repo["bot.channels.socketio.WebSessionSocketIOInput"]
    public_url = urlsplit(cluster["bot.channels.sms.SMSInput"]["public_url"])
    hosts = {rule["host"] for ingress in of_kind("Ingress") for rule in ingress["spec"]["rules"]}
    assert public_url.scheme == "https" and public_url.hostname in hosts


def test_rasa_mounts_the_configuration_and_the_model_read_only():
    rasa = workload("rasa")
    main = container(rasa, "rasa")
    mounts = {m["name"]: m for m in main["volumeMounts"]}
    assert mounts["models"]["readOnly"] is True and mounts["rasa-configuration"]["readOnly"] is True
    args = main["args"]
    assert args[args.index("--model") + 1] == mounts["models"]["mountPath"]
    config_dir = mounts["rasa-configuration"]["mountPath"]
    [volume] = [v for v in pod_spec(rasa)["volumes"] if v["name"] == "rasa-configuration"]
    files = {item["path"]: item["key"] for item in volume["configMap"]["items"]}
    assert args[args.index("--endpoints") + 1] == f"{config_dir}/endpoints.yml" and files["endpoints.yml"] == "endpoints"
    assert args[args.index("--credentials") + 1] == f"{config_dir}/credentials.yml" and files["credentials.yml"] == "credentials"
    # the init container fills the same volume with the model
    [loader] = pod_spec(rasa)["initContainers"]
    assert {m["name"] for m in loader["volumeMounts"]} == {"models"}


def test_rasa_replicas_and_lock_lifetime_follow_the_production_topology():
    from scripts.serve import SCALE_DEFAULTS

    rasa = workload("rasa")
    assert rasa["spec"]["replicas"] == 2
    env = env_of(container(rasa, "rasa"))
    assert env["TICKET_LOCK_LIFETIME"]["value"] == SCALE_DEFAULTS["TICKET_LOCK_LIFETIME"]
    # the lock outlives the longest turn (the action timeout) and no more than the ingress waits
    lock_s = int(env["TICKET_LOCK_LIFETIME"]["value"])
    assert int(env["ACTION_REQUEST_TIMEOUT_S"]["value"]) < lock_s
    [rest] = [i for i in of_kind("Ingress") if i["metadata"]["name"] == "rasa"]
    assert lock_s < int(rest["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"])


def test_rasa_pods_fit_in_postgresql_connections():
    """Rasa's tracker store pools 50 + 100 connections per process unless told (rasa.core.tracker_store)."""
    rasa = workload("rasa")
    env = env_of(container(rasa, "rasa"))
    per_pod = int(env["SQL_POOL_SIZE"]["value"]) + int(env["SQL_MAX_OVERFLOW"]["value"])
    args = container(workload("postgresql"), "postgresql")["args"]
    max_connections = int(args[args.index("-c") + 1].split("=")[1])
    # the Rasa pods, one more during a rolling update, may take at most half of PostgreSQL's connections
    assert per_pod * (rasa["spec"]["replicas"] + 1) <= max_connections // 2


# -- probes and ports --------------------------------------------------------------------------------

def probes(container_: dict) -> List[dict]:
    return [container_[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe") if kind in container_]


def listen_port(container_: dict) -> int:
    args = container_.get("args", [])
    return int(args[args.index("--port") + 1])


def http_probe_paths(workload_name: str, container_name: str) -> set:
    main = container(workload(workload_name), container_name)
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    paths = set()
    for probe in probes(main):
        get = probe["httpGet"]
        port = ports[get["port"]] if isinstance(get["port"], str) else get["port"]
        assert port == listen_port(main), f"{container_name} probes port {port}, listens on {listen_port(main)}"
        paths.add(get["path"])
    assert {"readinessProbe", "livenessProbe"} <= main.keys()
    return paths


@pytest.fixture(scope="module")
def rasa_routes():
    """Rasa's HTTP routes as `rasa run` registers them, from the cluster's credentials."""
    import os
    import tempfile

    from rasa.core.channels.channel import register
    from rasa.core.run import create_http_input_channels
    from sanic import Sanic

    saved = {name: os.environ.get(name) for name in ("TWILIO_AUTH_TOKEN", "REST_CHANNEL_TOKEN")}
    os.environ["TWILIO_AUTH_TOKEN"] = os.environ["REST_CHANNEL_TOKEN"] = "schema-test-only"
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as credentials:
            credentials.write(configmap_data("rasa")["credentials"])
            credentials.flush()
            channels = create_http_input_channels(None, credentials.name)
        app = Sanic("kubernetes_manifest_routes")
        register(channels, app, route="/webhooks/")  # rasa.core.run's route
        app.router.finalize()
        yield app.router
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def served(router, path: str, method: str = "GET") -> bool:
    from sanic.exceptions import MethodNotSupported, NotFound

    try:
        router.get(path, method, None)
    except (NotFound, MethodNotSupported):
        return False
    return True


def test_rasa_probes_ask_whether_crisis_replies_can_be_sent(rasa_routes):
    paths = http_probe_paths("rasa", "rasa")
    assert paths == {"/webhooks/health/ready"}
    assert served(rasa_routes, "/webhooks/health/ready")
    assert not served(rasa_routes, "/webhooks/no-such-channel/")  # the check can fail
    # the same path HAProxy checks in `make serve`
    from deploy.haproxy import haproxy_config
    assert "option httpchk GET /webhooks/health/ready\n" in haproxy_config([1], [2], 3, 4, "triage.re")


def test_haproxy_tries_every_worker_when_every_check_fails():
    """A worker too busy to answer its check in time is still able to answer a crisis message."""
    from deploy.haproxy import haproxy_config

    config = haproxy_config([5101, 5102], [5201], 5000, 5300, "triage.re")
    for name in ("rasa_workers", "rasa_sockets"):  # REST and SMS; the widget
        backend = re.split(r"\n(?:backend|frontend) ", config.split(f"\nbackend {name}\n", 1)[1], maxsplit=1)[0]
        assert "option allbackups" in backend
        checked = [line.split() for line in backend.splitlines() if line.strip().startswith("server") and " check" in line]
        unchecked = [line.split() for line in backend.splitlines() if line.strip().startswith("server") and " backup" in line]
        assert [words[2] for words in checked] == ["127.0.0.1:5101", "127.0.0.1:5102"]
        assert [words[2] for words in unchecked] == ["127.0.0.1:5101", "127.0.0.1:5102"]
        assert not any("check" in words for words in unchecked)


def test_ingress_paths_lead_to_rasa_routes(rasa_routes):
    for ingress in of_kind("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                if path["backend"]["service"]["name"] != "rasa":
                    continue
                prefix = path["path"].rstrip("/")
                routes = ["/" + r.path for r in rasa_routes.routes if ("/" + r.path).startswith(prefix)]
                assert routes, f"no Rasa route under {path['path']}"
    for needed in ("/webhooks/rest/webhook", "/webhooks/sms/webhook"):
        assert served(rasa_routes, needed, "POST")
    assert served(rasa_routes, "/socket.io/")


def test_action_server_probes_ask_rasa_sdk_health_which_needs_no_token():
    import inspect

    import rasa_sdk.endpoint

    from actions.server_auth import OPEN_PATHS

    paths = http_probe_paths("rasa-action-server", "rasa-action-server")
    assert paths == {"/health"}
    assert paths <= OPEN_PATHS
    assert '@app.get("/health")' in inspect.getsource(rasa_sdk.endpoint.create_app)
    env = env_of(container(workload("rasa-action-server"), "rasa-action-server"))
    assert env["SANIC_HOST"]["value"] == "0.0.0.0"  # reachable through its Service
    assert urlsplit(env["PROVIDER_SEARCH_URL"]["value"]).hostname == "providers"


def aiohttp_get_paths(app) -> set:
    return {route.resource.canonical for route in app.router.routes() if route.method == "GET"}


def test_provider_directory_probes_ask_its_routes(tmp_path):
    from providers.app import create_app

    app = create_app(f"sqlite:///{tmp_path / 'providers.db'}")
    paths = http_probe_paths("providers", "providers")
    assert paths == {"/healthz", "/openapi.json"}
    assert paths <= aiohttp_get_paths(app)
    main = container(workload("providers"), "providers")
    assert main["readinessProbe"]["httpGet"]["path"] == "/healthz"  # the one that asks the database


def test_console_probes_ask_its_public_sign_in_page():
    from aiohttp import web

    from console.app import add_routes

    app = web.Application()
    add_routes(app)
    paths = http_probe_paths("console", "console")
    assert paths == {"/login"}
    assert paths <= aiohttp_get_paths(app)


def test_container_ports_are_the_ports_the_commands_listen_on():
    expected = {"rasa": 5005, "rasa-action-server": 5055, "providers": 5060, "console": 5080}
    for name, port in expected.items():
        main = container(workload(name), name)
        assert listen_port(main) == port
        assert [p["containerPort"] for p in main["ports"]] == [port]


# -- the edge: deploy/haproxy.py's limits on the ingress -------------------------------------------

def test_ingress_carries_over_the_haproxy_limits():
    from deploy.haproxy import MAX_BODY_BYTES, REQUESTS_PER_10S_PER_CLIENT, haproxy_config

    config = haproxy_config([1, 2], [3], 4, 5, "triage.re")
    cookie = re.search(r"cookie (\S+) insert", config).group(1)
    server_timeout = int(re.search(r"timeout server (\d+)s", config).group(1))
    tunnel_timeout_h = int(re.search(r"timeout tunnel (\d+)h", config).group(1))
    for ingress in of_kind("Ingress"):
        if ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] != "rasa":
            continue
        notes = ingress["metadata"]["annotations"]
        size = notes["nginx.ingress.kubernetes.io/proxy-body-size"]
        assert size.endswith("k") and int(size[:-1]) * 1024 == MAX_BODY_BYTES
        rps = int(notes["nginx.ingress.kubernetes.io/limit-rps"])
        burst = int(notes["nginx.ingress.kubernetes.io/limit-burst-multiplier"])
        assert rps * 10 == REQUESTS_PER_10S_PER_CLIENT and rps * burst <= REQUESTS_PER_10S_PER_CLIENT
        assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
        assert notes["nginx.ingress.kubernetes.io/session-cookie-name"] == cookie
        read_timeout = int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"])
        is_socketio = any(p["path"].startswith("/socket.io") for p in ingress["spec"]["rules"][0]["http"]["paths"])
        assert read_timeout == (tunnel_timeout_h * 3600 if is_socketio else server_timeout)
        assert ingress["spec"]["tls"], "the assistant is served over TLS only"


def test_only_rasa_and_the_console_are_public():
    public = {path["backend"]["service"]["name"] for ingress in of_kind("Ingress")
              for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}
    assert public == {"rasa", "console"}
    for service in services().values():
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"


# -- how the containers run -------------------------------------------------------------------------

def test_containers_run_as_non_root_without_privileges():
    for doc, container_ in all_containers():
        where = f"{doc['metadata']['name']}/{container_['name']}"
        pod = pod_spec(doc).get("securityContext", {})
        own = container_.get("securityContext", {})
        assert own.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, where
        assert own.get("runAsUser", pod.get("runAsUser", 0)) != 0, where
        assert own.get("allowPrivilegeEscalation") is False, where
        assert own.get("capabilities", {}).get("drop") == ["ALL"], where
        assert own.get("privileged") is not True, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        assert own.get("readOnlyRootFilesystem") is (container_["name"] not in WRITABLE_ROOT_CONTAINERS), where
        assert pod_spec(doc).get("automountServiceAccountToken") is False, where


def test_read_only_containers_get_a_writable_tmp():
    for doc, container_ in all_containers():
        if not container_.get("securityContext", {}).get("readOnlyRootFilesystem") or container_["name"] == "load-model":
            continue
        mounts = {m["mountPath"]: m for m in container_.get("volumeMounts", [])}
        assert "/tmp" in mounts and not mounts["/tmp"].get("readOnly"), container_["name"]


def test_every_container_has_requests_and_a_memory_limit_and_a_pinned_image():
    for doc, container_ in all_containers():
        resources = container_["resources"]
        assert {"cpu", "memory"} <= resources["requests"].keys(), container_["name"]
        assert "memory" in resources["limits"], container_["name"]
        image = container_["image"]
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image


def test_rasa_memory_fits_the_measured_footprint():
    """docs/CAPACITY.md states the Rasa pod's measured RSS; the request must cover it."""
    capacity = (ROOT / "docs" / "CAPACITY.md").read_text()
    measured_mib = int(re.search(r"Rasa server RSS[^|]*\|\s*(\d+) MiB", capacity).group(1))
    resources = container(workload("rasa"), "rasa")["resources"]

    def mib(quantity: str) -> int:
        number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
        return int(number) * (1024 if unit == "Gi" else 1)

    assert mib(resources["requests"]["memory"]) >= measured_mib
    assert mib(resources["limits"]["memory"]) >= 1.5 * measured_mib
