"""A stand-in for a Kubernetes API server, on loopback, for rendering the chart
with the real Helm library.

helm-sdkpy has no `helm template`: its Install runs the real Helm install
action, which needs an API server. This one answers discovery (/version,
/api, /apis and each group version's resource list) for the kinds the
chart uses, answers 404 to every lookup, and records every object Helm
creates. It is a test double for a cluster: it schedules nothing, runs no
admission control and validates nothing (kubernetes-validate and checkov do
that on what it records).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# group/version -> [(resource, kind, namespaced)]
RESOURCES: dict[str, list[tuple[str, str, bool]]] = {
    "v1": [
        ("namespaces", "Namespace", False),
        ("services", "Service", True),
        ("serviceaccounts", "ServiceAccount", True),
        ("configmaps", "ConfigMap", True),
        ("secrets", "Secret", True),
        ("pods", "Pod", True),
        ("persistentvolumeclaims", "PersistentVolumeClaim", True),
    ],
    "apps/v1": [("deployments", "Deployment", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "autoscaling/v2": [("horizontalpodautoscalers", "HorizontalPodAutoscaler", True)],
    "networking.k8s.io/v1": [
        ("networkpolicies", "NetworkPolicy", True),
        ("ingresses", "Ingress", True),
    ],
    "cert-manager.io/v1": [("certificates", "Certificate", True)],
    "monitoring.coreos.com/v1": [
        ("servicemonitors", "ServiceMonitor", True),
        ("prometheusrules", "PrometheusRule", True),
    ],
    "policy.linkerd.io/v1beta3": [("servers", "Server", True)],
    "gateway.networking.k8s.io/v1": [("grpcroutes", "GRPCRoute", True)],
    "policy.linkerd.io/v1alpha1": [
        ("meshtlsauthentications", "MeshTLSAuthentication", True),
        ("authorizationpolicies", "AuthorizationPolicy", True),
    ],
    "security.istio.io/v1": [
        ("peerauthentications", "PeerAuthentication", True),
        ("authorizationpolicies", "AuthorizationPolicy", True),
    ],
}


def _resource_list(group_version: str) -> dict:
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": [
            {
                "name": name,
                "singularName": kind.lower(),
                "namespaced": namespaced,
                "kind": kind,
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            }
            for name, kind, namespaced in RESOURCES[group_version]
        ],
    }


def _group_list() -> dict:
    groups: dict[str, list[str]] = {}
    for group_version in RESOURCES:
        if "/" in group_version:
            group, version = group_version.split("/")
            groups.setdefault(group, []).append(version)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": group,
                "versions": [
                    {"groupVersion": f"{group}/{v}", "version": v} for v in versions
                ],
                "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
            }
            for group, versions in groups.items()
        ],
    }


class StandIn:
    """Serves on 127.0.0.1:<free port> until closed; `created` holds each
    object Helm sent, in order."""

    def __init__(self, kube_version: str = "1.33") -> None:
        self.created: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        minor = kube_version.split(".")[1]
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _not_found(self) -> None:
                self._send(
                    404,
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "reason": "NotFound",
                        "code": 404,
                        "message": f"{self.path} not found",
                    },
                )

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                with standin._lock:
                    standin.requests.append(("GET", path))
                if path == "/version":
                    return self._send(
                        200,
                        {
                            "major": "1",
                            "minor": minor,
                            "gitVersion": f"v1.{minor}.0",
                            "platform": "linux/amd64",
                        },
                    )
                if path == "/api":
                    return self._send(
                        200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
                    )
                if path == "/apis":
                    return self._send(200, _group_list())
                if path == "/api/v1":
                    return self._send(200, _resource_list("v1"))
                parts = path.strip("/").split("/")
                if len(parts) == 3 and parts[0] == "apis":
                    group_version = f"{parts[1]}/{parts[2]}"
                    if group_version in RESOURCES:
                        return self._send(200, _resource_list(group_version))
                # Collections are empty and objects missing: nothing exists yet.
                if len(parts) >= 2 and any(parts[-1] == r[0] for rs in RESOURCES.values() for r in rs):
                    return self._send(200, {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []})
                return self._not_found()

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with standin._lock:
                    standin.requests.append((self.command, self.path))
                if "json" not in (self.headers.get("Content-Type") or ""):
                    # Helm's own release record (a Secret, sent as protobuf):
                    # storage, not a chart object.
                    return self._send(
                        201, {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "helm-release"}}
                    )
                body = json.loads(raw)
                with standin._lock:
                    standin.created.append(body)
                self._send(201, body)

            def do_POST(self) -> None:
                self._record()

            def do_PATCH(self) -> None:
                self._record()

            def do_PUT(self) -> None:
                self._record()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def kubeconfig(self, namespace: str) -> str:
        return f"""apiVersion: v1
kind: Config
clusters:
  - name: standin
    cluster:
      server: http://127.0.0.1:{self.port}
contexts:
  - name: standin
    context:
      cluster: standin
      user: standin
      namespace: {namespace}
current-context: standin
users:
  - name: standin
    user:
      token: standin
"""

    def take(self) -> list[dict]:
        with self._lock:
            created, self.created = self.created, []
            return created

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
