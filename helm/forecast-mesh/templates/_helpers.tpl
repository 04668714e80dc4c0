{{/* The four services, in the order they are rendered. */}}
{{- define "fm.services" -}}
gateway warehouse forecaster store
{{- end -}}

{{/* Internal services: mTLS (or mesh) callers only. */}}
{{- define "fm.internal" -}}
warehouse forecaster store
{{- end -}}

{{- define "fm.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Selector labels of service .svc. */}}
{{- define "fm.selector" -}}
app.kubernetes.io/name: {{ .svc }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Labels of every object belonging to service .svc. */}}
{{- define "fm.labels" -}}
{{ include "fm.selector" . }}
app.kubernetes.io/part-of: forecast-mesh
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "fm.chart" .root }}
{{- end -}}

{{/* Labels of chart-wide objects. */}}
{{- define "fm.commonLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: forecast-mesh
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "fm.chart" . }}
{{- end -}}

{{- define "fm.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{- define "fm.mesh" -}}
{{- if eq .Values.transport.mode "mesh" -}}true{{- end -}}
{{- end -}}

{{/* The generated policy (mesh/cli/src/policy.rs): callers per service and method. */}}
{{- define "fm.policy" -}}
{{ .Files.Get "files/policy.yaml" }}
{{- end -}}

{{/* Callers admitted in this release: the operator only when enabled. */}}
{{- define "fm.callers" -}}
{{- $out := list -}}
{{- range .callers -}}
{{- if or (ne . "operator") $.root.Values.operators.enabled -}}
{{- $out = append $out . -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The service account a caller runs as. */}}
{{- define "fm.serviceAccountOf" -}}
{{- if eq .caller "operator" -}}{{ .root.Values.operators.serviceAccount }}{{- else -}}{{ .caller }}{{- end -}}
{{- end -}}

{{- define "fm.spiffe" -}}
spiffe://{{ .root.Values.trustDomain }}/ns/{{ .root.Release.Namespace }}/sa/{{ .svc }}
{{- end -}}

{{- define "fm.tlsSecret" -}}
{{- if eq .root.Values.transport.native.certificates.source "certManager" -}}
{{ .svc }}-tls
{{- else -}}
{{ .root.Values.transport.native.certificates.secretNameTemplate | replace "{service}" .svc }}
{{- end -}}
{{- end -}}

{{/* host:port of service .svc's gRPC port. */}}
{{- define "fm.address" -}}
{{ .svc }}.{{ .root.Release.Namespace }}.svc:{{ (index .root.Values .svc).ports.grpc }}
{{- end -}}

{{/* Refusals the schema cannot express. */}}
{{- define "fm.check" -}}
{{- $v := .Values -}}
{{- if not $v.capabilities.publicKeys -}}
{{- fail "capabilities.publicKeys is required: the root public keys every service accepts (<id>:<hex>)" -}}
{{- end -}}
{{- if not $v.capabilities.rootKey.existingSecret -}}
{{- fail "capabilities.rootKey.existingSecret is required: a Secret holding the gateway's root private key" -}}
{{- end -}}
{{- if not $v.oidc.issuer -}}{{- fail "oidc.issuer is required" -}}{{- end -}}
{{- if not $v.oidc.audience -}}{{- fail "oidc.audience is required" -}}{{- end -}}
{{- if and (not $v.oidc.jwks) (not $v.oidc.existingConfigMap) -}}
{{- fail "oidc.jwks or oidc.existingConfigMap is required: the issuer's JSON Web Key Set" -}}
{{- end -}}
{{- if and $v.oidc.jwks $v.oidc.existingConfigMap -}}
{{- fail "oidc.jwks and oidc.existingConfigMap are exclusive: name one" -}}
{{- end -}}
{{- if and (eq $v.transport.mode "native") (eq $v.transport.native.certificates.source "certManager") (not $v.transport.native.certificates.certManager.issuerRef.name) -}}
{{- fail "transport.native.certificates.certManager.issuerRef.name is required: the cert-manager issuer of the mesh CA" -}}
{{- end -}}
{{- if and (eq $v.warehouse.source "sqlServer") (not $v.warehouse.sqlServer.existingSecret) -}}
{{- fail "warehouse.sqlServer.existingSecret is required with warehouse.source=sqlServer" -}}
{{- end -}}
{{- if and (eq $v.store.database "postgres") (not $v.store.postgres.existingSecret) -}}
{{- fail "store.postgres.existingSecret is required with store.database=postgres: without it the store would keep records on a pod's disk" -}}
{{- end -}}
{{- if and (eq $v.store.database "embedded") (or (gt (int $v.store.replicas) 1) $v.store.autoscaling.enabled) -}}
{{- fail "store.database=embedded keeps records in one SQLite file: store.replicas must be 1 and store.autoscaling.enabled false" -}}
{{- end -}}
{{- range $svc := splitList " " (include "fm.services" .) -}}
{{- $s := index $v $svc -}}
{{- if gt (int $s.autoscaling.minReplicas) (int $s.autoscaling.maxReplicas) -}}
{{- fail (printf "%s.autoscaling.minReplicas (%d) exceeds maxReplicas (%d)" $svc (int $s.autoscaling.minReplicas) (int $s.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if or (eq (int $s.ports.grpc) (int $s.ports.health)) (eq (int $s.ports.grpc) (int $s.ports.admin)) (eq (int $s.ports.health) (int $s.ports.admin)) -}}
{{- fail (printf "%s.ports: grpc, health and admin must differ" $svc) -}}
{{- end -}}
{{- end -}}
{{- if and $v.metrics.serviceMonitor.enabled (not $v.metrics.enabled) -}}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled: there is nothing to scrape" -}}
{{- end -}}
{{- end -}}
