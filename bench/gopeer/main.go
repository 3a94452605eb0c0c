// bench/gopeer: the cheapest Go validating webhook we could compare
// driftgate with, written the way controller-runtime handlers decode: the
// AdmissionReview into typed structs, the objects into unstructured maps
// (map[string]interface{}), then one governed field compared with its
// desired value. It judges nothing else: no baselines, no policy, no audit
// annotations beyond one. bench/webhook.sh builds and runs it beside nginx
// and driftgate, with the same certificate and payloads.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
)

type groupVersionKind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

type userInfo struct {
	Username string   `json:"username"`
	UID      string   `json:"uid,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

type request struct {
	UID       string                 `json:"uid"`
	Kind      groupVersionKind       `json:"kind"`
	Resource  map[string]string      `json:"resource"`
	Name      string                 `json:"name"`
	Namespace string                 `json:"namespace"`
	Operation string                 `json:"operation"`
	UserInfo  userInfo               `json:"userInfo"`
	Object    map[string]interface{} `json:"object"`
	OldObject map[string]interface{} `json:"oldObject"`
	DryRun    *bool                  `json:"dryRun,omitempty"`
}

type status struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type response struct {
	UID              string            `json:"uid"`
	Allowed          bool              `json:"allowed"`
	Status           *status           `json:"status,omitempty"`
	AuditAnnotations map[string]string `json:"auditAnnotations,omitempty"`
}

type review struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Request    *request  `json:"request,omitempty"`
	Response   *response `json:"response,omitempty"`
}

// nested reads obj.a.b... as unstructured.NestedFieldNoCopy does.
func nested(obj map[string]interface{}, path ...string) (interface{}, bool) {
	var cur interface{} = obj
	for _, p := range path {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func judge(req *request, floor float64) *response {
	resp := &response{UID: req.UID, Allowed: true}
	if req.Kind.Kind != "HorizontalPodAutoscaler" {
		return resp
	}
	v, ok := nested(req.Object, "spec", "minReplicas")
	if n, isNum := v.(float64); ok && isNum && n != floor {
		resp.Allowed = false
		resp.Status = &status{Code: 403, Message: fmt.Sprintf(
			"spec.minReplicas: desired %g, requested %g", floor, n)}
		resp.AuditAnnotations = map[string]string{"decision": "deny"}
	}
	return resp
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8443", "address")
	cert := flag.String("tls-cert", "", "serving certificate")
	key := flag.String("tls-key", "", "its key")
	floor := flag.Float64("floor", 6, "the desired spec.minReplicas")
	flag.Parse()

	http.HandleFunc("/validate", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var in review
		if err := json.Unmarshal(body, &in); err != nil || in.Request == nil {
			http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
			return
		}
		out := review{APIVersion: in.APIVersion, Kind: in.Kind, Response: judge(in.Request, *floor)}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(&out); err != nil {
			log.Print(err)
		}
	})
	log.Fatal(http.ListenAndServeTLS(*listen, *cert, *key, nil))
}
