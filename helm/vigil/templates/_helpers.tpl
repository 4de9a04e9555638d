{{/* Chart name. */}}
{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name when it already contains the chart name ("vigil" → Service vigil). */}}
{{- define "vigil.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vigil.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vigil.labels" -}}
helm.sh/chart: {{ include "vigil.chart" . }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vigil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vigil.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image: repository@digest, or repository:tag (tag defaults to appVersion). */}}
{{- define "vigil.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/* "true" when Vigil uses Postgres (DATABASE_URL from a Secret), else empty. */}}
{{- define "vigil.usesPostgres" -}}
{{- if .Values.secrets.databaseUrl.existingSecret }}true{{- end }}
{{- end }}

{{/* Namespaces Vigil reads: config.namespaces, else rbac.namespaces in namespaced mode. */}}
{{- define "vigil.namespaces" -}}
{{- if .Values.config.namespaces }}
{{- join "," .Values.config.namespaces }}
{{- else if .Values.rbac.namespaced }}
{{- join "," .Values.rbac.namespaces }}
{{- end }}
{{- end }}

{{/* VIGIL_PUBLIC_URL: config.publicUrl, else the first ingress host (https when it has TLS). */}}
{{- define "vigil.publicUrl" -}}
{{- if .Values.config.publicUrl }}
{{- .Values.config.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- if $host }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) $host }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The same read-only rules for a ClusterRole or a namespaced Role: get/list/watch on exactly the kinds Vigil reads
(tools/kubernetes/readme.md) and get on pods/log. Nodes are cluster-scoped and are granted separately.
Never secrets, never a write verb, never pods/exec, pods/attach, pods/portforward or any proxy subresource.
*/}}
{{- define "vigil.readOnlyRules" -}}
- apiGroups: [""]
  resources:
    - pods
    - events
    - services
    - endpoints
    {{- if .Values.rbac.readConfigMaps }}
    - configmaps
    {{- end }}
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, replicasets, statefulsets, daemonsets]
  verbs: [get, list, watch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch]
{{- end }}

{{- define "vigil.nodeRules" -}}
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
{{- end }}

{{/* Settings that would start a broken daemon fail the render with a message that says what to do. */}}
{{- define "vigil.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "vigil.usesPostgres" .)) }}
{{- fail (printf "replicaCount is %d, but more than 1 replica needs Postgres: the embedded PGlite store is per pod and cannot be shared. Set secrets.databaseUrl.existingSecret (and .key) to a Secret holding DATABASE_URL=postgres://…, or set replicaCount to 1." (int .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.rbac.create .Values.rbac.namespaced (not .Values.rbac.namespaces) }}
{{- fail "rbac.namespaced is true but rbac.namespaces is empty: list the namespaces Vigil may read (a Role and RoleBinding is rendered in each)." }}
{{- end }}
{{- $s := .Values.secrets }}
{{- if and (or $s.slackSigningSecret.existingSecret $s.slackAppToken.existingSecret) (not $s.slackBotToken.existingSecret) }}
{{- fail "secrets.slackSigningSecret or secrets.slackAppToken is set without secrets.slackBotToken: Slack needs the bot token (xoxb-…)." }}
{{- end }}
{{- if and $s.slackBotToken.existingSecret (not (or $s.slackSigningSecret.existingSecret $s.slackAppToken.existingSecret)) }}
{{- fail "secrets.slackBotToken is set without secrets.slackSigningSecret (HTTP Events API) or secrets.slackAppToken (Socket Mode): set one of them." }}
{{- end }}
{{- if and $s.llmApiKey.existingSecret (not (and .Values.config.llm.baseUrl .Values.config.llm.model)) }}
{{- fail "secrets.llmApiKey is set but config.llm.baseUrl and config.llm.model are not: the LLM is only used when both are set." }}
{{- end }}
{{- end }}

{{/* An env value as a string; YAML numbers arrive as float64, so 1048576 must not become "1.048576e+06". */}}
{{- define "vigil.envValue" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) }}
{{- int64 . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
True when no UI auth is configured: the chart then generates a UI token Secret, because without UI auth the daemon
binds loopback only and neither Alertmanager, Slack nor the kubelet's probes could reach it.
*/}}
{{- define "vigil.generateUiToken" -}}
{{- $s := .Values.secrets -}}
{{- if and (not $s.uiToken.existingSecret) (not $s.uiBasicAuth.existingSecret) (not .Values.config.trustedProxyHeader) -}}
true
{{- end -}}
{{- end -}}
