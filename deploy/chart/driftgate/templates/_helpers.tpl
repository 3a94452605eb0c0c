{{- define "driftgate.labels" -}}
app.kubernetes.io/name: driftgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "driftgate.selector" -}}
app.kubernetes.io/name: driftgate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "driftgate.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}


{{/* What both webhooks of the configuration share: how to call driftgate,
     its failure stance, and the namespaces never sent. */}}
{{- define "driftgate.webhookCommon" -}}
admissionReviewVersions: [v1]
sideEffects: None
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
failurePolicy: {{ .Values.webhook.failurePolicy }}
# The same objects reached through another group/version (e.g. a
# Deployment via extensions) are still sent, converted.
matchPolicy: Equivalent
clientConfig:
  {{- if .Values.webhook.url }}
  url: {{ .Values.webhook.url }}
  {{- else }}
  service:
    name: {{ .Release.Name }}
    namespace: {{ .Release.Namespace }}
    path: /validate
    port: 443
  {{- end }}
  {{- with .Values.webhook.caBundle }}
  caBundle: {{ . }}
  {{- end }}
# kube-system and driftgate's own namespace are never judged, so a
# broken driftgate can always be repaired; any namespace can opt out.
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values:
        {{- range (concat .Values.webhook.excludeNamespaces (list .Release.Namespace) | uniq) }}
        - {{ . }}
        {{- end }}
    - key: {{ .Values.webhook.optOutLabel }}
      operator: DoesNotExist
{{- end }}
