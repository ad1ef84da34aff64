// Package endpoints rewrites the loopback addresses of a local environment into the aliases under which
// Dagger binds the host's services into containers (a container's 127.0.0.1 is its own).
package endpoints

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Rebase replaces the host of a URL by alias, keeping scheme and port: http://127.0.0.1:4566 → http://aws:4566.
func Rebase(raw, alias string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	if p := u.Port(); p != "" {
		u.Host = alias + ":" + p
	} else {
		u.Host = alias
	}
	return u.String()
}

// HostPort is the host:port of a URL (the input itself when it is not one).
func HostPort(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// RewriteKubeServer points every loopback https server line of a kubeconfig at alias (same port).
func RewriteKubeServer(kubeconfig, alias string) (string, int) {
	lines := strings.Split(kubeconfig, "\n")
	n := 0
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if !strings.HasPrefix(trimmed, "server:") {
			continue
		}
		server := strings.Trim(strings.TrimSpace(strings.TrimPrefix(trimmed, "server:")), `"'`)
		u, err := url.Parse(server)
		if err != nil || u.Scheme != "https" {
			continue
		}
		h := u.Hostname()
		if h != "127.0.0.1" && h != "localhost" && h != "::1" {
			continue
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		lines[i] = indent + "server: " + Rebase(server, alias)
		n++
	}
	return strings.Join(lines, "\n"), n
}

// ThroughAlias is raw (an endpoint URL declared on loopback) as a container reaches it: resolve (a dial
// map) sends its host:port to alias:port, and the URL is rebased on that alias. It refuses an endpoint
// that resolve leaves unmapped or sends to an address none of aliases names: the container would dial
// its own loopback and fail with a connection error that names neither the endpoint nor the fix.
func ThroughAlias(raw string, resolve func(hostPort string) string, aliases map[string]bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("endpoint %q is not a URL with a host", raw)
	}
	to := resolve(u.Host)
	alias, _, err := net.SplitHostPort(to)
	if err != nil || !aliases[alias] {
		return "", fmt.Errorf("no bound service reaches endpoint %s (its address %s resolves to %s)", raw, u.Host, to)
	}
	return Rebase(raw, alias), nil
}
