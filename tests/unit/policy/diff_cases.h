/* tests/unit/policy/diff_cases.h: variance cases under the built-in policy,
 * on objects as helm renders them and as the API server stores them;
 * test_diff.c checks the variances, test_plan.c that each plan restores them.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_TEST_DIFF_CASES_H
#define DG_TEST_DIFF_CASES_H

#define HPA(min)                                                                                   \
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: " \
    "prod}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n" min    \
    "  maxReplicas: 10\n"

#define SVC(ports, extra)                                                                          \
    "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: prod}\nspec:\n" extra         \
    "  ports:\n" ports

#define DEPLOY(replicas, image, resources)                                                         \
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec:\n"      \
    replicas "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: "  \
    "web}}\n    spec:\n      containers:\n      - name: sidecar\n        image: busybox:1.36\n"    \
    "      - name: web\n        image: " image "\n" resources

/* Each case: the baseline objects, the live object (NULL = missing), and the
 * expected variances as "path|desired|live|rule|action" lines. */
static const struct {
    const char *name, *base, *live, *want;
} diff_cases[] = {
    {"hpa floor lowered", HPA("  minReplicas: 6\n"), HPA("  minReplicas: 4\n"),
     "spec.minReplicas|6|4|hpa-bounds|deny\n"},
    {"6 equals 6.0", HPA("  minReplicas: 6\n"), HPA("  minReplicas: 6.0\n"), ""},
    {"default minReplicas is not drift", HPA(""), HPA("  minReplicas: 1\n"), ""},
    {"but a changed default is", HPA(""), HPA("  minReplicas: 2\n"),
     "spec.minReplicas|1|2|hpa-bounds|deny\n"},
    {"reordered ports are not drift",
     SVC("  - {name: http, port: 80}\n  - {name: https, port: 443}\n", ""),
     SVC("  - {name: https, port: 443, protocol: TCP, targetPort: 443}\n"
         "  - {name: http, port: 80, protocol: TCP, targetPort: 80}\n",
         "  clusterIP: 10.96.0.7\n  type: ClusterIP\n"),
     ""},
    {"port moved, matched by name", SVC("  - {name: http, port: 80, targetPort: http}\n", ""),
     SVC("  - {name: http, port: 8080, protocol: TCP, targetPort: http}\n", "  type: ClusterIP\n"),
     "spec.ports[name=http].port|80|8080|service-ports|deny\n"},
    {"unnamed port by port+protocol, defaults applied", SVC("  - {port: 80}\n", ""),
     SVC("  - {port: 80, protocol: TCP, targetPort: 80}\n", "  type: ClusterIP\n"), ""},
    {"\"80\" is not 80", SVC("  - {name: http, port: 80, targetPort: \"80\"}\n", ""),
     SVC("  - {name: http, port: 80, protocol: TCP, targetPort: 80}\n", "  type: ClusterIP\n"),
     "spec.ports[name=http].targetPort|\"80\"|80|service-ports|deny\n"},
    {"type change; the allocated nodePort is not drift", SVC("  - {name: http, port: 80}\n", ""),
     SVC("  - {name: http, port: 80, protocol: TCP, targetPort: 80, nodePort: 30080}\n",
         "  type: NodePort\n  externalTrafficPolicy: Cluster\n"),
     "spec.type|\"ClusterIP\"|\"NodePort\"|service-type|deny\n"},
    {"a port added out of band", SVC("  - {name: http, port: 80}\n", ""),
     SVC("  - {name: http, port: 80, protocol: TCP, targetPort: 80}\n"
         "  - {name: debug, port: 9090, protocol: TCP, targetPort: 9090}\n",
         ""),
     "spec.ports[name=debug]|(none)|{\"name\":\"debug\",\"port\":9090,\"protocol\":\"TCP\","
     "\"targetPort\":9090}|service-ports|deny\n"},
    {"replicas without an HPA", DEPLOY("  replicas: 3\n", "nginx:1.27.3", ""),
     DEPLOY("  replicas: 5\n", "nginx:1.27.3", ""), "spec.replicas|3|5|workload-replicas|deny\n"},
    {"replicas owned by an HPA", HPA("  minReplicas: 6\n") "---\n" DEPLOY("", "nginx:1.27.3", ""),
     DEPLOY("  replicas: 7\n", "nginx:1.27.3", ""), ""},
    {"image changed: warn, matched by container name",
     DEPLOY("  replicas: 2\n", "nginx:1.27.3", ""), DEPLOY("  replicas: 2\n", "nginx:1.28.0", ""),
     "spec.template.spec.containers[name=web].image|\"nginx:1.27.3\"|\"nginx:1.28.0\"|container-"
     "image|warn\n"},
    {"quantities compare by value",
     DEPLOY("  replicas: 2\n", "nginx",
            "        resources: {limits: {cpu: 0.5, memory: 1Gi}, requests: {cpu: 100m}}\n"),
     DEPLOY("  replicas: 2\n", "nginx",
            "        resources: {limits: {cpu: 500m, memory: 1024Mi}, requests: {cpu: \"0.1\"}}\n"),
     ""},
    {"resources changed",
     DEPLOY("  replicas: 2\n", "nginx", "        resources: {limits: {cpu: 500m}}\n"),
     DEPLOY("  replicas: 2\n", "nginx", "        resources: {limits: {cpu: \"1\"}}\n"),
     "spec.template.spec.containers[name=web].resources|{\"limits\":{\"cpu\":\"500m\"}}|{"
     "\"limits\":{\"cpu\":\"1\"}}|container-resources|warn\n"},
    {"missing from live", HPA("  minReplicas: 6\n"), NULL, "|(none)|(none)|hpa-bounds|deny\n"},
    {"ungoverned kind",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod}\ndata: {a: b}\n",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod}\ndata: {a: c}\n", ""},
};

#endif
