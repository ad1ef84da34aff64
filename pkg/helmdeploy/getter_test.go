package helmdeploy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func TestRefreshingTokenIsSentAndRenewedBeforeExpiry(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"major":"1","minor":"31","gitVersion":"v1.31.0"}`)
	}))
	defer srv.Close()

	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: srv.URL}
	kc.AuthInfos["c"] = &clientcmdapi.AuthInfo{Token: "stale-token"}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "c"}
	kc.CurrentContext = "c"

	fetches := 0
	lifetime := 30 * time.Second // shorter than the one-minute margin: every request fetches
	access := FromConfig(kc, "demo").WithRefreshingToken(func(context.Context) (string, time.Time, error) {
		fetches++
		return fmt.Sprintf("token-%d", fetches), time.Now().Add(lifetime), nil
	})
	rc, err := access.ToRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(rc)
	for i := 0; i < 2; i++ {
		if _, err := cs.Discovery().ServerVersion(); err != nil {
			t.Fatal(err)
		}
	}
	lifetime = 10 * time.Minute
	for i := 0; i < 2; i++ {
		if _, err := cs.Discovery().ServerVersion(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Bearer token-1", "Bearer token-2", "Bearer token-3", "Bearer token-3"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("Authorization headers %v, want %v", seen, want)
	}
}

// An API server that accepts the connection and never answers fails the call after the request
// timeout instead of hanging the deploy.
func TestEveryRequestHasATimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: srv.URL}
	kc.AuthInfos["c"] = &clientcmdapi.AuthInfo{Token: "t"}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "c"}
	kc.CurrentContext = "c"

	access := FromConfig(kc, "demo")
	rc, err := access.ToRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if rc.Timeout != DefaultRequestTimeout {
		t.Fatalf("default request timeout %s, want %s", rc.Timeout, DefaultRequestTimeout)
	}
	access.RequestTimeout = 300 * time.Millisecond
	rc, err = access.ToRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = kubernetes.NewForConfigOrDie(rc).Discovery().ServerVersion()
	if err == nil {
		t.Fatal("a server that never answers must fail the request")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("request returned after %s, want about the 300ms timeout", took)
	}
}
