"""The Helm chart's checks, run by tests/chart/run.

- The real Helm library (helm-sdkpy) lints the chart and renders it for each
  values set of a matrix (both modes, both meshes, every option), by
  installing into a stand-in API server on loopback (standin.py) that
  records what Helm sends.
- Every rendered built-in object validates against the Kubernetes schemas
  (kubernetes-validate, strict); custom resources get structural checks.
- The rendered policies say what files/policy.yaml (generated from the
  method table by `mesh policy`) says; every pod meets Pod Security
  "restricted".
- Bad values are refused, each case with the reason it must give.
- checkov finds no failed check in what was rendered (skips are justified
  in the chart); promtool tests the rendered alert rules and parses every
  dashboard query.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHART = ROOT / "helm" / "forecast-mesh"
NAMESPACE = "forecast"
KUBE_VERSION = "1.33.0"
VENV_BIN = Path(sys.executable).parent

sys.path.insert(0, str(HERE))
from standin import StandIn  # noqa: E402

import helm_sdkpy  # noqa: E402
import kubernetes_validate  # noqa: E402

PUBLIC_KEY = "1:" + "3b" * 32

# The least a working install needs.
BASE = {
    "capabilities": {"publicKeys": PUBLIC_KEY, "rootKey": {"existingSecret": "capability-root-key"}},
    "oidc": {
        "issuer": "https://login.example.com/realms/bi",
        "audience": "forecast-mesh",
        "jwks": json.dumps({"keys": []}),
    },
    "transport": {"native": {"certificates": {"certManager": {"issuerRef": {"name": "mesh-ca"}}}}},
    "store": {"postgres": {"existingSecret": "store-database"}},
}

FULL = {
    "image": {"digest": "sha256:" + "0" * 64},
    "metrics": {
        "enabled": True,
        "tokenSecret": {"name": "metrics-token"},
        "serviceMonitor": {"enabled": True},
        "prometheusRule": {"enabled": True},
        "dashboards": {"enabled": True},
    },
    "gateway": {
        "ingress": {
            "enabled": True,
            "className": "nginx",
            "host": "bi.example.com",
            "tlsSecretName": "bi-example-com-tls",
        },
        "service": {"type": "LoadBalancer", "port": 443},
    },
    "warehouse": {
        "source": "sqlServer",
        "sqlServer": {
            "existingSecret": "warehouse-sqlserver",
            "to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
        },
    },
    "store": {"postgres": {"caSecret": "store-database-ca", "to": [{"ipBlock": {"cidr": "10.30.0.0/16"}}]}},
    "operators": {
        "enabled": True,
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ops"}}}],
    },
    "telemetry": {"otlpEndpoint": "http://otel-collector.observability:4317"},
    "corsOrigins": ["https://bi.example.com"],
    "networkPolicy": {
        "gatewayFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
        "extraEgress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}], "ports": [{"port": 4317, "protocol": "TCP"}]}],
    },
}


def merge(base: dict, *overrides: dict) -> dict:
    out = copy.deepcopy(base)
    for override in overrides:
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


MATRIX: dict[str, dict] = {
    "native-cert-manager": BASE,
    "native-secrets": merge(BASE, {"transport": {"native": {"certificates": {"source": "secret"}}}}),
    "native-full": merge(BASE, FULL),
    "mesh-linkerd": merge(BASE, {"transport": {"mode": "mesh", "mesh": {"provider": "linkerd"}}}),
    "mesh-istio": merge(BASE, {"transport": {"mode": "mesh", "mesh": {"provider": "istio"}}}),
    "mesh-istio-full": merge(BASE, FULL, {"transport": {"mode": "mesh", "mesh": {"provider": "istio"}}}),
    "mesh-linkerd-full": merge(BASE, FULL, {"transport": {"mode": "mesh", "mesh": {"provider": "linkerd"}}}),
    "embedded-store-no-autoscaling": merge(
        BASE,
        {
            "store": {"database": "embedded", "replicas": 1, "embedded": {"persistentVolumeClaim": "store-data"}},
            "gateway": {"autoscaling": {"enabled": False}},
            "forecaster": {"autoscaling": {"enabled": False}},
            "topologySpread": {"enabled": False},
            "tests": {"enabled": False},
        },
    ),
    "no-network-policy-no-pdb": merge(
        BASE,
        {"networkPolicy": {"enabled": False}, **{s: {"pdb": {"enabled": False}} for s in ("gateway", "warehouse", "forecaster", "store")}},
    ),
}

# (name, values over BASE, what the refusal must say)
INVALID: list[tuple[str, dict, str]] = [
    ("unknown top-level key", {"replica": 3}, "replica"),
    ("misspelt nested key", {"store": {"postgres": {"existingSecrett": "x"}}}, "existingSecrett"),
    ("unknown transport mode", {"transport": {"mode": "sidecar"}}, "mode"),
    ("unknown mesh", {"transport": {"mode": "mesh", "mesh": {"provider": "consul"}}}, "provider"),
    ("unknown certificate source", {"transport": {"native": {"certificates": {"source": "vault"}}}}, "source"),
    ("port out of range", {"warehouse": {"ports": {"grpc": 70000}}}, "grpc"),
    ("replicas as text", {"forecaster": {"replicas": "two"}}, "replicas"),
    ("zero replicas", {"gateway": {"replicas": 0}}, "replicas"),
    ("bad digest", {"image": {"digest": "latest"}}, "digest"),
    ("bad pull policy", {"image": {"pullPolicy": "Sometimes"}}, "pullPolicy"),
    ("HMAC algorithm", {"oidc": {"algorithms": ["HS256"]}}, "algorithms"),
    ("plain http issuer", {"oidc": {"issuer": "http://login.example.com"}}, "issuer"),
    ("malformed public key", {"capabilities": {"publicKeys": "1:nothex"}}, "publicKeys"),
    ("CORS origin without scheme", {"corsOrigins": ["bi.example.com"]}, "corsOrigins"),
    ("bad spread policy", {"topologySpread": {"whenUnsatisfiable": "Sometimes"}}, "whenUnsatisfiable"),
    ("embedded store with two replicas", {"store": {"database": "embedded", "replicas": 2}}, "replicas"),
    ("ingress without a host", {"gateway": {"ingress": {"enabled": True}}}, "host"),
    ("no public keys", {"capabilities": {"publicKeys": ""}}, "capabilities.publicKeys is required"),
    ("no root key secret", {"capabilities": {"rootKey": {"existingSecret": ""}}}, "capabilities.rootKey.existingSecret is required"),
    ("no issuer for cert-manager", {"transport": {"native": {"certificates": {"certManager": {"issuerRef": {"name": ""}}}}}}, "issuerRef.name is required"),
    ("postgres without its secret", {"store": {"postgres": {"existingSecret": ""}}}, "store.postgres.existingSecret is required"),
    ("sql server without its secret", {"warehouse": {"source": "sqlServer"}}, "warehouse.sqlServer.existingSecret is required"),
    ("no JWKS", {"oidc": {"jwks": ""}}, "oidc.jwks or oidc.existingConfigMap is required"),
    ("two JWKS sources", {"oidc": {"existingConfigMap": "jwks"}}, "exclusive"),
    ("autoscaling bounds reversed", {"gateway": {"autoscaling": {"minReplicas": 5, "maxReplicas": 3}}}, "minReplicas (5) exceeds maxReplicas (3)"),
    ("ports clash", {"store": {"ports": {"health": 50054}}}, "store.ports"),
    ("scraping without metrics", {"metrics": {"serviceMonitor": {"enabled": True}}}, "needs metrics.enabled"),
]

POLICY = yaml.safe_load((CHART / "files" / "policy.yaml").read_text())


class Renderer:
    """Renders the chart with the real Helm library against the stand-in."""

    def __init__(self) -> None:
        self.standin = StandIn(KUBE_VERSION)
        self.kubeconfig = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        self.kubeconfig.write(self.standin.kubeconfig(NAMESPACE))
        self.kubeconfig.close()
        self.releases = 0

    def render(self, values: dict) -> list[dict]:
        """Returns every object of the release: those Helm created, then its hooks."""
        self.releases += 1
        config = helm_sdkpy.Configuration(namespace=NAMESPACE, kubeconfig=self.kubeconfig.name)
        self.standin.take()
        try:
            release = asyncio.run(
                helm_sdkpy.Install(config).run(
                    f"fm{self.releases}", str(CHART), values=values, wait=False, timeout=60
                )
            )
        finally:
            created = self.standin.take()
        hooks = [yaml.safe_load(hook["manifest"]) for hook in release.get("hooks") or []]
        return created + hooks

    def close(self) -> None:
        self.standin.close()
        os.unlink(self.kubeconfig.name)


RENDERER: Renderer | None = None
RENDERED: dict[str, list[dict]] = {}


def rendered(name: str) -> list[dict]:
    if name not in RENDERED:
        assert RENDERER is not None
        RENDERED[name] = RENDERER.render(MATRIX[name])
    return RENDERED[name]


def objects(name: str, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in rendered(name) if o["kind"] == kind}


def pod_specs(name: str) -> list[tuple[str, dict]]:
    specs = [(n, d["spec"]["template"]["spec"]) for n, d in objects(name, "Deployment").items()]
    specs += [(n, p["spec"]) for n, p in objects(name, "Pod").items()]
    return specs


# Custom resources: kubernetes-validate has no schema for them. Each needs
# its apiVersion and the fields its controller requires.
CUSTOM = {
    ("cert-manager.io/v1", "Certificate"): ["secretName", "issuerRef"],
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ["selector", "endpoints"],
    ("monitoring.coreos.com/v1", "PrometheusRule"): ["groups"],
    ("policy.linkerd.io/v1beta3", "Server"): ["podSelector", "port", "proxyProtocol"],
    ("gateway.networking.k8s.io/v1", "GRPCRoute"): ["parentRefs", "rules"],
    ("policy.linkerd.io/v1alpha1", "MeshTLSAuthentication"): ["identityRefs"],
    ("policy.linkerd.io/v1alpha1", "AuthorizationPolicy"): ["targetRef", "requiredAuthenticationRefs"],
    ("security.istio.io/v1", "PeerAuthentication"): ["selector", "mtls"],
    ("security.istio.io/v1", "AuthorizationPolicy"): ["selector", "action"],
}


def lint(values: dict) -> tuple[list[str], list[str]]:
    """Lints a copy of the chart whose values.yaml is `values` over the
    defaults (Helm's Lint reads the chart's own values.yaml); returns its
    errors and its warnings or worse."""
    config = helm_sdkpy.Configuration(namespace=NAMESPACE, kubeconfig=RENDERER.kubeconfig.name)
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        copy_dir = Path(tmp) / "forecast-mesh"
        shutil.copytree(CHART, copy_dir)
        (copy_dir / "values.yaml").write_text(yaml.safe_dump(merge(defaults, values)))
        result = asyncio.run(helm_sdkpy.Lint(config).run(str(copy_dir)))
    errors = [str(e) for e in result.get("Errors") or []]
    # Helm's severities: 1 info, 2 warning, 3 error.
    warnings = [json.dumps(m) for m in result.get("Messages") or [] if (m.get("Severity") or 0) >= 2]
    return errors, warnings


class Lint(unittest.TestCase):
    def test_helm_lint_passes_for_every_values_set(self) -> None:
        for name, values in MATRIX.items():
            with self.subTest(values=name):
                self.assertEqual(lint(values), ([], []), name)

    def test_helm_lint_reports_values_the_schema_refuses(self) -> None:
        # The library hands back Helm's messages with their paths and
        # severities (their error texts do not cross the binding).
        errors, warnings = lint({"transport": {"mode": "sidecar"}})
        self.assertTrue(errors, "lint must fail on a value the schema refuses")
        self.assertTrue(any('"Path": "values.yaml"' in w for w in warnings), warnings)


class Render(unittest.TestCase):
    def test_every_builtin_object_validates_strictly(self) -> None:
        for name in MATRIX:
            for obj in rendered(name):
                key = (obj["apiVersion"], obj["kind"])
                with self.subTest(values=name, obj=f"{obj['kind']}/{obj['metadata']['name']}"):
                    self.assertEqual(obj["metadata"].get("namespace"), NAMESPACE)
                    if key in CUSTOM:
                        for field in CUSTOM[key]:
                            self.assertIn(field, obj["spec"], f"{key}: spec.{field}")
                    else:
                        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)

    def test_both_modes_render_what_they_promise(self) -> None:
        kinds = lambda name: {(o["apiVersion"], o["kind"]) for o in rendered(name)}  # noqa: E731
        native = kinds("native-cert-manager")
        self.assertIn(("cert-manager.io/v1", "Certificate"), native)
        self.assertFalse(any(k[0].startswith(("policy.linkerd.io", "security.istio.io")) for k in native))
        self.assertNotIn(("cert-manager.io/v1", "Certificate"), kinds("native-secrets"))
        self.assertIn(("policy.linkerd.io/v1beta3", "Server"), kinds("mesh-linkerd"))
        self.assertIn(("security.istio.io/v1", "AuthorizationPolicy"), kinds("mesh-istio"))
        self.assertNotIn(("cert-manager.io/v1", "Certificate"), kinds("mesh-istio"))
        full = kinds("native-full")
        for kind in ["ServiceMonitor", "PrometheusRule"]:
            self.assertIn(("monitoring.coreos.com/v1", kind), full)
        self.assertIn(("networking.k8s.io/v1", "Ingress"), full)
        for svc in ("gateway", "warehouse", "forecaster", "store"):
            self.assertIn(svc, objects("native-full", "Deployment"))
            self.assertIn(svc, objects("native-full", "Service"))
            self.assertIn(svc, objects("native-full", "PodDisruptionBudget"))
        self.assertEqual(set(objects("native-cert-manager", "HorizontalPodAutoscaler")), {"gateway", "forecaster"})

    def test_certificates_carry_spiffe_ids_and_service_names(self) -> None:
        for svc, cert in objects("native-cert-manager", "Certificate").items():
            self.assertEqual(cert["spec"]["uris"], [f"spiffe://forecast-mesh.local/ns/{NAMESPACE}/sa/{svc}"])
            self.assertIn(f"{svc}.{NAMESPACE}.svc", cert["spec"]["dnsNames"])
            self.assertEqual(cert["spec"]["issuerRef"]["name"], "mesh-ca")
            self.assertEqual(set(cert["spec"]["usages"]) >= {"server auth", "client auth"}, True)

    def test_pods_meet_pod_security_restricted(self) -> None:
        for name in MATRIX:
            for pod, spec in pod_specs(name):
                with self.subTest(values=name, pod=pod):
                    self.assertIs(spec["automountServiceAccountToken"], False)
                    self.assertIs(spec["securityContext"]["runAsNonRoot"], True)
                    self.assertEqual(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
                    self.assertNotIn("hostNetwork", spec)
                    for c in spec["containers"]:
                        sc = c["securityContext"]
                        self.assertIs(sc["allowPrivilegeEscalation"], False)
                        self.assertIs(sc["readOnlyRootFilesystem"], True)
                        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                        self.assertNotIn("add", sc["capabilities"])
                        self.assertGreaterEqual(sc["runAsUser"], 10000)
                        self.assertIn("limits", c["resources"])
                        self.assertIn("requests", c["resources"])

    def test_probes_are_grpc_on_the_plaintext_health_port(self) -> None:
        for svc, d in objects("native-cert-manager", "Deployment").items():
            c = d["spec"]["template"]["spec"]["containers"][0]
            health = next(p["containerPort"] for p in c["ports"] if p["name"] == "health")
            self.assertEqual(c["readinessProbe"]["grpc"]["port"], health, svc)
            self.assertEqual(c["startupProbe"]["grpc"]["port"], health, svc)
            self.assertEqual(c["livenessProbe"]["tcpSocket"]["port"], health, svc)
            env = {e["name"]: e for e in c["env"]}
            self.assertEqual(env[f"{svc.upper()}_HEALTH_LISTEN"]["value"], f"0.0.0.0:{health}")

    def test_internal_services_are_headless_in_native_mode_only(self) -> None:
        # Callers resolve a headless Service to every ready pod and balance
        # over them; in mesh mode the sidecars balance a ClusterIP.
        internal = {"warehouse", "forecaster", "store"}
        native = objects("native-cert-manager", "Service")
        for svc in internal:
            self.assertEqual(native[svc]["spec"].get("clusterIP"), "None", svc)
        self.assertNotIn("clusterIP", native["gateway"]["spec"])
        for svc, service in objects("mesh-linkerd", "Service").items():
            self.assertNotIn("clusterIP", service["spec"], svc)

    def test_secrets_come_from_secrets(self) -> None:
        env = lambda d: {e["name"]: e for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}  # noqa: E731
        deployments = objects("native-full", "Deployment")
        self.assertEqual(
            env(deployments["store"])["STORE_DATABASE_URL"]["valueFrom"]["secretKeyRef"],
            {"name": "store-database", "key": "database-url"},
        )
        self.assertEqual(
            env(deployments["warehouse"])["WAREHOUSE_SQLSERVER_CONNECTION_STRING"]["valueFrom"]["secretKeyRef"],
            {"name": "warehouse-sqlserver", "key": "connection-string"},
        )
        self.assertEqual(
            env(deployments["gateway"])["GATEWAY_ROOT_KEY"]["valueFrom"]["secretKeyRef"]["name"],
            "capability-root-key",
        )
        for d in deployments.values():
            for e in env(d).values():
                self.assertNotIn("postgres://", e.get("value", ""))

    def test_each_pod_exports_to_the_collector_as_its_own_instance(self) -> None:
        env = lambda d: {e["name"]: e for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}  # noqa: E731
        for svc, d in objects("native-full", "Deployment").items():
            e = env(d)
            self.assertEqual(e["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"], "http://otel-collector.observability:4317", svc)
            self.assertEqual(e["POD_NAME"]["valueFrom"], {"fieldRef": {"fieldPath": "metadata.name"}}, svc)
            attributes = dict(a.split("=", 1) for a in e["OTEL_RESOURCE_ATTRIBUTES"]["value"].split(","))
            self.assertEqual(attributes["service.instance.id"], "$(POD_NAME)", svc)
            names = [n for n in e]
            self.assertLess(names.index("POD_NAME"), names.index("OTEL_RESOURCE_ATTRIBUTES"), "defined before use")
        for svc, d in objects("native-cert-manager", "Deployment").items():
            self.assertNotIn("OTEL_RESOURCE_ATTRIBUTES", env(d), svc)

    def test_network_policies_allow_only_the_allow_lists(self) -> None:
        for name in ("native-cert-manager", "native-full"):
            operators = MATRIX[name].get("operators", {}).get("enabled", False)
            policies = objects(name, "NetworkPolicy")
            deployments = objects(name, "Deployment")
            for svc, p in POLICY["services"].items():
                np = policies[svc]
                grpc = next(
                    port["containerPort"]
                    for port in deployments[svc]["spec"]["template"]["spec"]["containers"][0]["ports"]
                    if port["name"] == "grpc"
                )
                rule = next(r for r in np["spec"]["ingress"] if r["ports"][0]["port"] == "grpc")
                pods = {
                    peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                    for peer in rule["from"]
                    if "podSelector" in peer
                }
                self.assertEqual(pods, set(p["callers"]) - {"operator"}, f"{name}: {svc}")
                has_ns_peer = any("namespaceSelector" in peer for peer in rule["from"])
                self.assertEqual(has_ns_peer, operators, f"{name}: {svc}")
                # And each caller may leave for it.
                for caller in p["callers"]:
                    if caller == "operator":
                        continue
                    egress = policies[caller]["spec"]["egress"]
                    self.assertTrue(
                        any(
                            r["ports"][0]["port"] == grpc
                            and r["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == svc
                            for r in egress
                            if "to" in r and "podSelector" in r["to"][0]
                        ),
                        f"{name}: {caller} -> {svc}",
                    )
            # The warehouse calls no one but the store, for its revocation list.
            self.assertEqual(
                {
                    name
                    for r in policies["warehouse"]["spec"]["egress"]
                    if (name := r.get("to", [{}])[0].get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name"))
                },
                {"store"},
                "the warehouse calls the store alone",
            )

    def test_istio_policy_is_the_generated_policy(self) -> None:
        for name, operators in (("mesh-istio", False), ("mesh-istio-full", True)):
            policies = objects(name, "AuthorizationPolicy")
            for svc, p in POLICY["services"].items():
                rules = policies[svc]["spec"]["rules"]
                by_caller = {r["from"][0]["source"]["principals"][0].rsplit("/", 1)[1]: r for r in rules}
                expected = set(p["callers"]) if operators else set(p["callers"]) - {"operator"}
                self.assertEqual(set(by_caller), expected, f"{name}: {svc}")
                for caller, rule in by_caller.items():
                    paths = set(rule["to"][0]["operation"]["paths"])
                    methods = {m for m, callers in p["methods"].items() if caller in callers}
                    self.assertEqual({x for x in paths if not x.endswith("*")}, methods, f"{svc} <- {caller}")
                    self.assertIn("/grpc.health.v1.Health/*", paths)
                    self.assertEqual(
                        rule["from"][0]["source"]["principals"][0],
                        f"forecast-mesh.local/ns/{NAMESPACE}/sa/{caller}",
                    )

    def test_linkerd_policy_is_the_generated_policy(self) -> None:
        routes = objects("mesh-linkerd", "GRPCRoute")
        authns = objects("mesh-linkerd", "MeshTLSAuthentication")
        authzs = objects("mesh-linkerd", "AuthorizationPolicy")
        for svc, p in POLICY["services"].items():
            for method, callers in p["methods"].items():
                service, name = method.strip("/").split("/")
                route = next(
                    r for r in routes.values()
                    if r["spec"]["rules"][0]["matches"][0]["method"]
                    == {"type": "Exact", "service": service, "method": name}
                )
                name = route["metadata"]["name"]
                expected = set(callers) - {"operator"}
                if not expected:
                    # Only an operator may call it, and operators are off: no authorization, so refused.
                    self.assertNotIn(name, authzs, method)
                    continue
                self.assertEqual({i["name"] for i in authns[name]["spec"]["identityRefs"]}, expected, method)
                self.assertEqual(authzs[name]["spec"]["targetRef"]["name"], name)
            self.assertEqual(objects("mesh-linkerd", "Server")[f"{svc}-grpc"]["spec"]["accessPolicy"], "deny")
            open_services = {m["method"]["service"] for m in routes[f"{svc}-open"]["spec"]["rules"][0]["matches"]}
            self.assertEqual(
                open_services,
                {"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"},
            )
            self.assertEqual({m["method"].get("method") for m in routes[f"{svc}-open"]["spec"]["rules"][0]["matches"]}, {None})

    def test_mesh_mode_hands_transport_to_the_sidecar(self) -> None:
        for name, provider in (("mesh-linkerd", "linkerd"), ("mesh-istio", "istio")):
            for svc, d in objects(name, "Deployment").items():
                template = d["spec"]["template"]
                env = {e["name"]: e.get("value") for e in template["spec"]["containers"][0]["env"]}
                self.assertEqual(env[f"{svc.upper()}_TRANSPORT"], "sidecar")
                self.assertEqual(env[f"{svc.upper()}_SIDECAR_PROVIDER"], provider)
                self.assertNotIn(f"{svc.upper()}_TLS_CERT", env)
                # Both meshes forward to the pod's address, not to localhost.
                self.assertTrue(env[f"{svc.upper()}_LISTEN"].startswith("0.0.0.0:"))
                ingress_ports = {p["port"] for r in objects(name, "NetworkPolicy")[svc]["spec"]["ingress"] for p in r["ports"]}
                if provider == "linkerd":
                    self.assertEqual(template["metadata"]["annotations"]["linkerd.io/inject"], "enabled")
                    # Meshed traffic arrives on Linkerd's inbound port.
                    self.assertIn(4143, ingress_ports, svc)
                else:
                    self.assertNotIn(4143, ingress_ports, svc)
                    self.assertEqual(template["metadata"]["labels"]["sidecar.istio.io/inject"], "true")

    def test_helm_test_hook_probes_every_service(self) -> None:
        pods = objects("native-cert-manager", "Pod")
        (pod,) = pods.values()
        (allowed,) = [n for n in objects("native-cert-manager", "NetworkPolicy") if n.endswith("-test-health")]
        self.assertEqual(pod["metadata"]["annotations"]["helm.sh/hook"], "test")
        args = pod["spec"]["containers"][0]["args"]
        self.assertEqual(
            [a for a in args if a != "--address"],
            [f"{s}.{NAMESPACE}.svc:{p}" for s, p in (("gateway", 51051), ("warehouse", 51052), ("forecaster", 51053), ("store", 51054))],
        )


class Invalid(unittest.TestCase):
    def test_bad_values_are_refused_with_their_reason(self) -> None:
        for case, override, reason in INVALID:
            with self.subTest(case=case):
                with self.assertRaises(helm_sdkpy.HelmError) as refused:
                    RENDERER.render(merge(BASE, override))
                self.assertIn(reason, str(refused.exception), case)


class Checkov(unittest.TestCase):
    def test_checkov_finds_no_failed_check(self) -> None:
        for name in MATRIX:
            with self.subTest(values=name), tempfile.TemporaryDirectory() as tmp:
                for i, obj in enumerate(rendered(name)):
                    (Path(tmp) / f"{i:03}-{obj['kind']}-{obj['metadata']['name']}.yaml").write_text(yaml.safe_dump(obj))
                run = subprocess.run(
                    [str(VENV_BIN / "checkov"), "--compact", "--skip-download", "--framework", "kubernetes",
                     "--output", "json", "--directory", tmp],
                    capture_output=True, text=True, timeout=600,
                )
                report = json.loads(run.stdout or "{}")
                reports = report if isinstance(report, list) else [report]
                failed = [
                    f"{c['check_id']} {c['resource']}: {c['check_name']}"
                    for r in reports for c in r.get("results", {}).get("failed_checks", [])
                ]
                self.assertEqual(failed, [], name)
                skipped = [c for r in reports for c in r.get("results", {}).get("skipped_checks", [])]
                for c in skipped:
                    self.assertTrue((c.get("check_result") or {}).get("suppress_comment"), c["check_id"])
                passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
                self.assertGreater(passed, 100, name)
                print(f"    checkov {name}: {passed} passed, 0 failed, {len(skipped)} skipped (justified)", file=sys.stderr)


class Monitoring(unittest.TestCase):
    def test_alert_rules_pass_their_promtool_unit_tests(self) -> None:
        (rule,) = objects("native-full", "PrometheusRule").values()
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "rules.yaml").write_text(yaml.safe_dump(rule["spec"]))
            shutil.copy(HERE / "alerts_test.yaml", Path(tmp) / "alerts_test.yaml")
            check = subprocess.run(["promtool", "check", "rules", "rules.yaml"], cwd=tmp, capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            run = subprocess.run(["promtool", "test", "rules", "alerts_test.yaml"], cwd=tmp, capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            print("    " + " ".join((run.stdout + run.stderr).split()), file=sys.stderr)
        alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]}
        tested = yaml.safe_load((HERE / "alerts_test.yaml").read_text())
        fired = {a["alertname"] for t in tested["tests"] for a in t.get("alert_rule_test", []) if a.get("exp_alerts")}
        self.assertEqual(alerts, fired, "every alert has a test where it fires")

    def test_dashboards_are_grafana_dashboards_whose_queries_parse(self) -> None:
        maps = objects("native-full", "ConfigMap")
        dashboards = {n: m for n, m in maps.items() if n.startswith("forecast-mesh-dashboard-")}
        self.assertEqual(
            set(dashboards),
            {"forecast-mesh-dashboard-overview", "forecast-mesh-dashboard-security", "forecast-mesh-dashboard-forecasts"},
        )
        exprs = []
        uids = set()
        for name, cm in dashboards.items():
            self.assertEqual(cm["metadata"]["labels"]["grafana_dashboard"], "1")
            (text,) = cm["data"].values()
            dash = json.loads(text)
            for field in ("uid", "title", "schemaVersion", "panels", "templating"):
                self.assertIn(field, dash, name)
            self.assertNotIn(dash["uid"], uids)
            uids.add(dash["uid"])
            self.assertLessEqual(len(dash["uid"]), 40)
            ids = [p["id"] for p in dash["panels"]]
            self.assertEqual(len(ids), len(set(ids)), name)
            for p in dash["panels"]:
                for field in ("type", "title", "gridPos", "targets", "datasource"):
                    self.assertIn(field, p, f"{name}: {p.get('title')}")
                self.assertLessEqual(p["gridPos"]["x"] + p["gridPos"]["w"], 24)
                for t in p["targets"]:
                    exprs.append(t["expr"].replace("$__rate_interval", "5m").replace("$namespace", "forecast"))
        # promtool parses PromQL in rule files: every query as a recording rule.
        rules = {"groups": [{"name": "dashboards", "rules": [{"record": f"dashboard:query{i}", "expr": e} for i, e in enumerate(exprs)]}]}
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "queries.yaml").write_text(yaml.safe_dump(rules))
            run = subprocess.run(["promtool", "check", "rules", "queries.yaml"], cwd=tmp, capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)


def main() -> int:
    global RENDERER
    os.environ.setdefault("HELM_CACHE_HOME", tempfile.mkdtemp(prefix="helm-cache-"))
    os.environ.setdefault("HELM_CONFIG_HOME", tempfile.mkdtemp(prefix="helm-config-"))
    os.environ.setdefault("HELM_DATA_HOME", tempfile.mkdtemp(prefix="helm-data-"))
    RENDERER = Renderer()
    try:
        suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
    finally:
        RENDERER.close()
    failed = len(result.failures) + len(result.errors)
    print(f"chart: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
