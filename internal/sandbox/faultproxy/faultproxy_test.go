package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func setup(t *testing.T) (*Proxy, *http.Client, Client, string) {
	t.Helper()
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok "+r.URL.Path) }))
	t.Cleanup(target.Close)
	p, err := Listen("127.0.0.1:0", target.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	control := httptest.NewServer(&Control{Proxies: map[string]*Proxy{"demo-staging": p}})
	t.Cleanup(control.Close)
	// The client trusts the target's certificate through the proxy: TLS passes through untouched.
	client := target.Client()
	return p, client, Client{BaseURL: control.URL}, "https://" + p.Addr()
}

func get(client *http.Client, url string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestHangStallsNewAndOpenConnectionsUntilRecovered(t *testing.T) {
	p, client, control, base := setup(t)
	ctx := context.Background()
	if body, err := get(client, base+"/a", 5*time.Second); err != nil || body != "ok /a" {
		t.Fatalf("through the proxy: %q %v", body, err)
	}
	if err := control.Hang(ctx, "demo-staging"); err != nil {
		t.Fatal(err)
	}
	// The kept-alive connection hangs ...
	if _, err := get(client, base+"/b", 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("request on an open connection during a hang: %v, want a timeout", err)
	}
	// ... and a new one is accepted but never answered.
	conn, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		t.Fatalf("a hanging API server still accepts connections: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, _ = conn.Write([]byte("\x16\x03\x01\x00\x05hello"))
	if _, err := conn.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("read on a new connection during a hang: %v, want a timeout", err)
	}
	conn.Close()
	s, err := control.State(ctx, "demo-staging")
	if err != nil || s.Mode != Hang || s.Connections < 1 {
		t.Errorf("state during the hang = %+v, %v", s, err)
	}

	// A request made during the hang completes once it is recovered.
	result := make(chan string, 1)
	go func() { body, err := get(client, base+"/held", 10*time.Second); result <- body + errString(err) }()
	time.Sleep(200 * time.Millisecond)
	if err := control.Recover(ctx, "demo-staging"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-result:
		if got != "ok /held" {
			t.Errorf("held request after recovery: %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the held request did not complete after recovery")
	}
	if body, err := get(client, base+"/c", 5*time.Second); err != nil || body != "ok /c" {
		t.Fatalf("after recovery: %q %v", body, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func errString(err error) string {
	if err != nil {
		return " error: " + err.Error()
	}
	return ""
}

func TestLatency(t *testing.T) {
	_, client, control, base := setup(t)
	if err := control.Delay(context.Background(), "demo-staging", 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if body, err := get(client, base+"/slow", 10*time.Second); err != nil || body != "ok /slow" {
		t.Fatalf("with latency: %q %v", body, err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("a request with 150ms latency per chunk took %s", took)
	}
}

func TestControlAPIRefusesBadRequests(t *testing.T) {
	_, _, control, _ := setup(t)
	ctx := context.Background()
	if err := control.Hang(ctx, "demo-nowhere"); err == nil || !strings.Contains(err.Error(), `no fault proxy "demo-nowhere" (have: demo-staging)`) {
		t.Errorf("unknown proxy: %v", err)
	}
	if _, err := control.do(ctx, http.MethodPut, "demo-staging", Fault{Mode: "explode"}); err == nil || !strings.Contains(err.Error(), "want pass or hang") {
		t.Errorf("unknown mode: %v", err)
	}
	resp, err := http.Get(control.BaseURL + ControlPath)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %v", ControlPath, resp, err)
	}
	resp.Body.Close()
}

func TestCloseReleasesAHang(t *testing.T) {
	p, client, control, base := setup(t)
	if err := control.Hang(context.Background(), "demo-staging"); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { _, err := get(client, base+"/x", 10*time.Second); result <- err }()
	time.Sleep(100 * time.Millisecond)
	p.Close()
	select {
	case err := <-result:
		if err == nil {
			t.Error("a request held by a closed proxy succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("closing the proxy did not end a held request")
	}
}
