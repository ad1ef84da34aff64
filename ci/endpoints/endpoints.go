// Package endpoints rewrites the loopback addresses of a local environment into the aliases under which
// Dagger binds the host's services into containers (a container's 127.0.0.1 is its own).
package endpoints

import (
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
