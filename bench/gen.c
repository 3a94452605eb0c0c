/* bench/gen.c: a generated release of N objects (Deployments, Services,
 * HPAs, ConfigMaps, as helm template prints them) and a live snapshot of it
 * in the shape kubectl get -o yaml prints (List, server fields,
 * managedFields, status), with about 1% of governed values drifted.
 * Deterministic. Usage: bench_gen N BASELINE LIVE
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>

static void base_obj(FILE *f, int i)
{
    switch (i % 4) {
    case 0:
        fprintf(f,
                "---\n# Source: app/templates/deployment.yaml\napiVersion: apps/v1\nkind: "
                "Deployment\nmetadata:\n  name: app-%d\n  labels:\n    app.kubernetes.io/name: "
                "app-%d\n    app.kubernetes.io/instance: bench\nspec:\n  selector:\n    "
                "matchLabels:\n      app.kubernetes.io/name: app-%d\n  template:\n    "
                "metadata:\n      labels:\n        app.kubernetes.io/name: app-%d\n    spec:\n   "
                "   containers:\n        - name: app\n          image: \"registry.example/app:1.%d.0\"\n"
                "          ports:\n            - name: http\n              containerPort: 8080\n"
                "          resources:\n            requests:\n              cpu: 100m\n          "
                "    memory: 64Mi\n            limits:\n              cpu: 500m\n              "
                "memory: 128Mi\n",
                i, i, i, i, i % 50);
        break;
    case 1:
        fprintf(f,
                "---\n# Source: app/templates/service.yaml\napiVersion: v1\nkind: Service\n"
                "metadata:\n  name: app-%d\nspec:\n  type: ClusterIP\n  ports:\n    - port: 80\n  "
                "    targetPort: http\n      protocol: TCP\n      name: http\n  selector:\n    "
                "app.kubernetes.io/name: app-%d\n",
                i - 1, i - 1);
        break;
    case 2:
        fprintf(f,
                "---\n# Source: app/templates/hpa.yaml\napiVersion: autoscaling/v2\nkind: "
                "HorizontalPodAutoscaler\nmetadata:\n  name: app-%d\nspec:\n  scaleTargetRef:\n   "
                " apiVersion: apps/v1\n    kind: Deployment\n    name: app-%d\n  minReplicas: 6\n  "
                "maxReplicas: 10\n  metrics:\n    - type: Resource\n      resource:\n        name: "
                "cpu\n        target:\n          type: Utilization\n          averageUtilization: "
                "80\n",
                i - 2, i - 2);
        break;
    default:
        fprintf(f,
                "---\n# Source: app/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\n"
                "metadata:\n  name: app-%d-config\ndata:\n  LOG_LEVEL: info\n  PORT: \"8080\"\n",
                i - 3);
    }
}

static void meta(FILE *f, int i, const char *name)
{
    fprintf(f,
            "  metadata:\n    annotations:\n      meta.helm.sh/release-name: bench\n      "
            "meta.helm.sh/release-namespace: bench\n    creationTimestamp: \"2026-11-24T09:12:41Z\"\n"
            "    managedFields:\n    - apiVersion: v1\n      fieldsType: FieldsV1\n      fieldsV1:\n"
            "        f:metadata:\n          f:annotations:\n            .: {}\n            "
            "f:meta.helm.sh/release-name: {}\n        f:spec: {}\n      manager: helm\n      "
            "operation: Update\n      time: \"2026-11-24T09:12:41Z\"\n    name: %s\n    "
            "namespace: bench\n    resourceVersion: \"%d\"\n    uid: 00000000-0000-4000-8000-%012d\n",
            name, 1000 + i, i);
}

static void live_obj(FILE *f, int i)
{
    char name[64];
    int drift = i % 100 == 2; /* ~1% of objects drift */

    switch (i % 4) {
    case 0:
        snprintf(name, sizeof name, "app-%d", i);
        fprintf(f, "- apiVersion: apps/v1\n  kind: Deployment\n");
        meta(f, i, name);
        fprintf(f,
                "  spec:\n    progressDeadlineSeconds: 600\n    replicas: 6\n    "
                "revisionHistoryLimit: 10\n    selector:\n      matchLabels:\n        "
                "app.kubernetes.io/name: app-%d\n    template:\n      spec:\n        containers:\n"
                "        - image: registry.example/app:1.%d.0\n          imagePullPolicy: "
                "IfNotPresent\n          name: app\n          ports:\n          - containerPort: "
                "8080\n            name: http\n            protocol: TCP\n          resources:\n   "
                "         limits:\n              cpu: 500m\n              memory: 128Mi\n         "
                "   requests:\n              cpu: 100m\n              memory: 64Mi\n        "
                "dnsPolicy: ClusterFirst\n        restartPolicy: Always\n  status:\n    "
                "availableReplicas: 6\n    replicas: 6\n",
                i, i % 50);
        break;
    case 1:
        snprintf(name, sizeof name, "app-%d", i - 1);
        fprintf(f, "- apiVersion: v1\n  kind: Service\n");
        meta(f, i, name);
        fprintf(f,
                "  spec:\n    clusterIP: 10.96.%d.%d\n    clusterIPs:\n    - 10.96.%d.%d\n    "
                "internalTrafficPolicy: Cluster\n    ipFamilies:\n    - IPv4\n    ipFamilyPolicy: "
                "SingleStack\n    ports:\n    - name: http\n      port: %d\n      protocol: TCP\n  "
                "    targetPort: http\n    selector:\n      app.kubernetes.io/name: %s\n    "
                "sessionAffinity: None\n    type: ClusterIP\n  status:\n    loadBalancer: {}\n",
                i / 250 % 250, i % 250, i / 250 % 250, i % 250, drift ? 8080 : 80, name);
        break;
    case 2:
        snprintf(name, sizeof name, "app-%d", i - 2);
        fprintf(f, "- apiVersion: autoscaling/v2\n  kind: HorizontalPodAutoscaler\n");
        meta(f, i, name);
        fprintf(f,
                "  spec:\n    maxReplicas: 10\n    metrics:\n    - resource:\n        name: cpu\n   "
                "     target:\n          averageUtilization: 80\n          type: Utilization\n     "
                " type: Resource\n    minReplicas: %d\n    scaleTargetRef:\n      apiVersion: "
                "apps/v1\n      kind: Deployment\n      name: %s\n  status:\n    currentReplicas: "
                "6\n    desiredReplicas: 6\n",
                drift ? 4 : 6, name);
        break;
    default:
        snprintf(name, sizeof name, "app-%d-config", i - 3);
        fprintf(f, "- apiVersion: v1\n  kind: ConfigMap\n");
        meta(f, i, name);
        fprintf(f, "  data:\n    LOG_LEVEL: info\n    PORT: \"8080\"\n");
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    FILE *b, *l;

    if (argc != 4 || n <= 0) {
        fprintf(stderr, "usage: bench_gen N BASELINE LIVE\n");
        return 1;
    }
    n -= n % 4;
    b = fopen(argv[2], "w");
    l = fopen(argv[3], "w");
    if (b == NULL || l == NULL) {
        perror("bench_gen");
        return 1;
    }
    fputs("apiVersion: v1\nitems:\n", l);
    for (int i = 0; i < n; i++) {
        base_obj(b, i);
        live_obj(l, i);
    }
    fputs("kind: List\nmetadata:\n  resourceVersion: \"\"\n", l);
    fclose(b);
    fclose(l);
    return 0;
}
