// Package addrmap sends the connections a process opens for one network address to another one, so
// every client (the AWS SDK, go-containerregistry, client-go) keeps the names it was given — TLS server
// names, canonical image references, endpoint URLs — while the bytes go where the address is reachable
// from here. The pipeline uses it to reach a sandbox twin account from inside a container, where the
// twin's loopback addresses are the container's own (see pkg/environment.Twin).
package addrmap

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
)

// Map maps a dialed address to the address to connect to instead. A key is "host:port" (that address)
// or "host" (every port of that host); a value is always "host:port". A target may itself be mapped
// (a registry host → its loopback address → a container alias of it).
type Map map[string]string

// maxHops bounds how many mappings one address may go through (a cycle is an invalid map).
const maxHops = 4

// Validate checks every entry's shape and that no address maps around in a cycle.
func (m Map) Validate() error {
	var problems []string
	for _, from := range m.keys() {
		to := m[from]
		if strings.TrimSpace(from) == "" || strings.Contains(from, "/") {
			problems = append(problems, fmt.Sprintf("%q is not a host or host:port", from))
		}
		if h, p, err := net.SplitHostPort(to); err != nil || h == "" || p == "" {
			problems = append(problems, fmt.Sprintf("%s → %q: the target must be host:port", from, to))
		}
	}
	if len(problems) == 0 {
		for _, from := range m.keys() {
			if _, err := m.resolve(withPort(from)); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("address map: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Resolve is where a connection to addr ("host:port") goes: addr itself when nothing maps it.
func (m Map) Resolve(addr string) string {
	to, err := m.resolve(addr)
	if err != nil {
		return addr
	}
	return to
}

func (m Map) resolve(addr string) (string, error) {
	cur := addr
	for range maxHops {
		next, ok := m[cur]
		if !ok {
			if host, _, err := net.SplitHostPort(cur); err == nil {
				next, ok = m[host]
			}
		}
		if !ok || next == cur {
			return cur, nil
		}
		cur = next
	}
	return "", fmt.Errorf("%s maps through more than %d addresses (a cycle?)", addr, maxHops)
}

// DialFunc is the shape of net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Dial wraps dial (a default net.Dialer when nil) so that every connection goes to the mapped address.
func (m Map) Dial(dial DialFunc) DialFunc {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	if len(m) == 0 {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dial(ctx, network, m.Resolve(addr))
	}
}

// Transport is rt with its connections mapped: an *http.Transport is cloned with a mapped DialContext;
// any other RoundTripper (or an empty map) is returned unchanged when m is empty, and refused otherwise
// (its connections cannot be redirected).
func (m Map) Transport(rt http.RoundTripper) (http.RoundTripper, error) {
	if len(m) == 0 {
		return rt, nil
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	t, ok := rt.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("address map: cannot redirect the connections of a %T", rt)
	}
	c := t.Clone()
	c.DialContext = m.Dial(t.DialContext)
	c.Proxy = nil // a mapped address is reached directly, never through an ambient proxy
	return c, nil
}

// With is m plus the entries of other (other wins on the same key); nil maps give nil.
func (m Map) With(other Map) Map {
	if len(m) == 0 && len(other) == 0 {
		return nil
	}
	out := Map{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range other {
		out[k] = v
	}
	return out
}

// String lists the mappings, sorted (for progress lines; addresses are not secrets).
func (m Map) String() string {
	var parts []string
	for _, k := range m.keys() {
		parts = append(parts, k+" → "+m[k])
	}
	return strings.Join(parts, ", ")
}

func (m Map) keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// withPort gives a port-less key a port so resolve can follow it (the port is irrelevant for it).
func withPort(key string) string {
	if _, _, err := net.SplitHostPort(key); err == nil {
		return key
	}
	return net.JoinHostPort(key, "0")
}
