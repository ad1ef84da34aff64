package addrmap

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	m := Map{
		"222222222222.dkr.ecr.ap-southeast-2.amazonaws.com": "127.0.0.1:5002", // any port of the host
		"127.0.0.1:5002": "twin-5002:5002",
		"127.0.0.1:4566": "twin-4566:4566",
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"222222222222.dkr.ecr.ap-southeast-2.amazonaws.com:443": "twin-5002:5002", // two hops
		"222222222222.dkr.ecr.ap-southeast-2.amazonaws.com:80":  "twin-5002:5002",
		"127.0.0.1:4566": "twin-4566:4566",
		"127.0.0.1:6443": "127.0.0.1:6443", // unmapped: unchanged
		"333333333333.dkr.ecr.ap-southeast-2.amazonaws.com:443": "333333333333.dkr.ecr.ap-southeast-2.amazonaws.com:443",
	} {
		if got := m.Resolve(in); got != want {
			t.Errorf("Resolve(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestValidateRefusesBadEntriesAndCycles(t *testing.T) {
	for _, tc := range []struct {
		m    Map
		want string
	}{
		{Map{"a:1": "b"}, "target must be host:port"},
		{Map{"http://a": "b:1"}, "not a host or host:port"},
		{Map{"a:1": "b:1", "b:1": "a:1"}, "cycle"},
	} {
		if err := tc.m.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%v) = %v, want %q", tc.m, err, tc.want)
		}
	}
	var none Map
	if err := none.Validate(); err != nil {
		t.Errorf("an empty map: %v", err)
	}
}

// TestTransportKeepsTheName: a request to a mapped name reaches the server at the mapped address and
// still carries the name it was made for (Host header), as TLS would keep its server name.
func TestTransportKeepsTheName(t *testing.T) {
	var host string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host = r.Host
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	rt, err := Map{"registry.example.invalid": addr}.Transport(http.DefaultTransport)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt}).Get("http://registry.example.invalid:8080/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if host != "registry.example.invalid:8080" {
		t.Errorf("the server saw Host %q, want the original name", host)
	}
	if _, err := (Map{"a": "b:1"}).Transport(roundTripperFunc(nil)); err == nil {
		t.Error("a transport whose connections cannot be redirected must be refused")
	}
	if rt, err := (Map{}).Transport(roundTripperFunc(nil)); err != nil || rt == nil {
		t.Errorf("an empty map keeps any transport: %v", err)
	}
}

func TestDialUsesTheMappedAddress(t *testing.T) {
	var dialed string
	dial := Map{"a.invalid:1": "b.invalid:2"}.Dial(func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = addr
		return nil, io.EOF
	})
	_, _ = dial(context.Background(), "tcp", "a.invalid:1")
	if dialed != "b.invalid:2" {
		t.Errorf("dialed %s, want b.invalid:2", dialed)
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
