// Package main is the probe module the integration test installs into a fresh `dagger init` module:
// each function exercises one thing the pipeline relies on in the offline sandbox.
package main

import (
	"context"
	"fmt"

	"dagger/probe/internal/dagger"
)

type Probe struct{}

// GoVersion runs `go version` in image (the sandbox's Go base image).
func (m *Probe) GoVersion(ctx context.Context, image string) (string, error) {
	return dag.Container().From(image).WithExec([]string{"go", "version"}).Stdout(ctx)
}

// Publish pushes base plus one file to ref and returns ref@digest.
func (m *Probe) Publish(ctx context.Context, base, ref, content string) (string, error) {
	return dag.Container().From(base).WithNewFile("/probe.txt", content).Publish(ctx, ref)
}

// httpGet is a minimal HTTP/1.1 client in bash: it frames the body by Content-Length, as real
// clients do, because a connection closed by a host service is not passed on through the tunnel.
const httpGet = `exec 3<>/dev/tcp/$ALIAS/$PORT
printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$URLPATH" "$ALIAS" >&3
len=0
while IFS= read -r line <&3; do
  line=${line%$'\r'}
  echo "$line"
  [ -z "$line" ] && break
  case "${line,,}" in content-length:*) len=${line#*: } ;; esac
done
head -c "$len" <&3
`

// Fetch sends GET path to alias:port from a container bound to svc, and returns the raw response.
// nonce defeats the exec cache so every call really connects.
func (m *Probe) Fetch(ctx context.Context, image string, svc *dagger.Service, alias string, port int, path, nonce string) (string, error) {
	return dag.Container().From(image).
		WithEnvVariable("NONCE", nonce).
		WithEnvVariable("ALIAS", alias).
		WithEnvVariable("PORT", fmt.Sprint(port)).
		WithEnvVariable("URLPATH", path).
		WithServiceBinding(alias, svc).
		WithExec([]string{"timeout", "60", "bash", "-c", httpGet}).
		Stdout(ctx)
}

// TlsCheck verifies the certificate served at alias:port for the name alias against caPEM, from a
// container bound to svc (openssl comes with the image's ca-certificates).
func (m *Probe) TlsCheck(ctx context.Context, image string, svc *dagger.Service, alias string, port int, caPem, nonce string) (string, error) {
	script := fmt.Sprintf("openssl s_client -connect %s:%d -servername %s -verify_hostname %s -CAfile /ca.pem -verify_return_error </dev/null 2>&1 | grep -E '^(subject=|Verify return code)'", alias, port, alias, alias)
	return dag.Container().From(image).
		WithEnvVariable("NONCE", nonce).
		WithNewFile("/ca.pem", caPem).
		WithServiceBinding(alias, svc).
		WithExec([]string{"timeout", "60", "sh", "-c", script}).
		Stdout(ctx)
}
