package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestServer(t *testing.T, cfg Config) (*httptest.Server, *Server, *bytes.Buffer) {
	t.Helper()
	if cfg.CheckTimeout == 0 {
		cfg.CheckTimeout = time.Second
	}
	logs := &bytes.Buffer{}
	s := NewServer(cfg, BuildChecks(cfg, &http.Client{}), newLogger(logs, "debug"))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, s, logs
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestBannerNamesPlatform(t *testing.T) {
	for _, p := range []Platform{PlatformECS, PlatformEKS, PlatformLocal} {
		ts, _, _ := newTestServer(t, Config{Platform: p, PlatformSource: "DEPLOY_PLATFORM"})
		resp, body := get(t, ts.URL+"/", "")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", p, resp.StatusCode)
		}
		if !strings.HasPrefix(body, p.Banner()+" with:\n") {
			t.Fatalf("%s: body %q does not start with the banner", p, body)
		}
	}
	ts, _, _ := newTestServer(t, Config{Platform: PlatformECS})
	if resp, _ := get(t, ts.URL+"/nope", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: status %d, want 404", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	ts, _, _ := newTestServer(t, Config{AuthToken: "s3cr3t"})
	resp, body := get(t, ts.URL+"/healthz", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("healthz: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil || m["status"] != "ok" {
		t.Fatalf("healthz body %q: %v", body, err)
	}
}

func TestVersion(t *testing.T) {
	oldV, oldC := version, commit
	version, commit = "1.2.3", "abc1234"
	t.Cleanup(func() { version, commit = oldV, oldC })
	ts, _, _ := newTestServer(t, Config{Platform: PlatformEKS})
	resp, body := get(t, ts.URL+"/version", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var v VersionInfo
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v != (VersionInfo{Version: "1.2.3", Commit: "abc1234", Platform: PlatformEKS}) {
		t.Fatalf("version = %+v", v)
	}
}

func TestBearerTokenProtectsNonHealthEndpoints(t *testing.T) {
	ts, _, logs := newTestServer(t, Config{Platform: PlatformECS, AuthToken: "s3cr3t"})
	for _, path := range []string{"/", "/version"} {
		if resp, _ := get(t, ts.URL+path, ""); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%s without token: %d", path, resp.StatusCode)
		}
		if resp, _ := get(t, ts.URL+path, "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s with a wrong token: %d", path, resp.StatusCode)
		}
		if resp, _ := get(t, ts.URL+path, "s3cr3t"); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s with the token: %d", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp, _ := get(t, ts.URL+path, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s must stay open for probes: %d", path, resp.StatusCode)
		}
	}
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Fatal("the token leaked into the logs")
	}
}

func TestReadyzWithoutChecks(t *testing.T) {
	ts, s, _ := newTestServer(t, Config{})
	resp, body := get(t, ts.URL+"/readyz", "")
	var rep ReadyReport
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || rep.Status != "ready" || len(rep.Checks) != 0 {
		t.Fatalf("readyz: %d %+v", resp.StatusCode, rep)
	}
	s.StartDraining()
	resp, body = get(t, ts.URL+"/readyz", "")
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || rep.Status != "not_ready" || rep.Reason != "shutting down" {
		t.Fatalf("draining readyz: %d %+v", resp.StatusCode, rep)
	}
}

// listen returns a TCP listener accepting (and closing) connections, standing in for a DB or Redis.
func listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// closedAddr returns an address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func readyz(t *testing.T, cfg Config) (int, ReadyReport) {
	t.Helper()
	ts, _, _ := newTestServer(t, cfg)
	resp, body := get(t, ts.URL+"/readyz", "")
	var rep ReadyReport
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("readyz body %q: %v", body, err)
	}
	return resp.StatusCode, rep
}

func byName(rep ReadyReport) map[string]CheckResult {
	m := map[string]CheckResult{}
	for _, c := range rep.Checks {
		m[c.Name] = c
	}
	return m
}

func TestReadyzAllDependenciesUp(t *testing.T) {
	var method string
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method = r.Method
		w.WriteHeader(http.StatusForbidden) // a private bucket: reachable, access denied
	}))
	defer s3.Close()
	code, rep := readyz(t, Config{S3URL: s3.URL + "/", DBAddr: listen(t), RedisAddr: listen(t)})
	if code != 200 || rep.Status != "ready" {
		t.Fatalf("readyz: %d %+v", code, rep)
	}
	if got := []string{rep.Checks[0].Name, rep.Checks[1].Name, rep.Checks[2].Name}; strings.Join(got, ",") != "s3,db,redis" {
		t.Fatalf("check order %v", got)
	}
	if method != http.MethodHead {
		t.Fatalf("s3 check used %s, want HEAD", method)
	}
}

func TestReadyzReportsEachFailure(t *testing.T) {
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer s3.Close()
	code, rep := readyz(t, Config{S3URL: s3.URL, DBAddr: closedAddr(t), RedisAddr: listen(t)})
	if code != http.StatusServiceUnavailable || rep.Status != "not_ready" {
		t.Fatalf("readyz: %d %+v", code, rep)
	}
	m := byName(rep)
	if m["s3"].OK || !strings.Contains(m["s3"].Error, "503") {
		t.Fatalf("s3 result %+v", m["s3"])
	}
	if m["db"].OK || m["db"].Error == "" {
		t.Fatalf("db result %+v", m["db"])
	}
	if !m["redis"].OK {
		t.Fatalf("redis result %+v", m["redis"])
	}
}

func TestReadyzCheckTimeout(t *testing.T) {
	release := make(chan struct{})
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer s3.Close()
	defer close(release)
	start := time.Now()
	code, rep := readyz(t, Config{S3URL: s3.URL, CheckTimeout: 200 * time.Millisecond})
	if code != http.StatusServiceUnavailable {
		t.Fatalf("status %d", code)
	}
	if r := byName(rep)["s3"]; r.OK || !strings.Contains(r.Error, "timed out after 200ms") {
		t.Fatalf("s3 result %+v", r)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("the per-check timeout was not enforced (%s)", elapsed)
	}
}

func TestRequestLogsAreJSON(t *testing.T) {
	ts, _, logs := newTestServer(t, Config{Platform: PlatformECS})
	get(t, ts.URL+"/version", "")
	line := strings.TrimSpace(strings.Split(strings.TrimSpace(logs.String()), "\n")[0])
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("log line %q is not JSON: %v", line, err)
	}
	if m["msg"] != "request" || m["path"] != "/version" || m["status"] != float64(200) || m["service"] != "demo-app" {
		t.Fatalf("log line %v", m)
	}
}
