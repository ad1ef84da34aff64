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

// Fetch sends GET path to alias:port from a container bound to svc, and returns the raw response.
// nonce defeats the exec cache so every call really connects.
func (m *Probe) Fetch(ctx context.Context, image string, svc *dagger.Service, alias string, port int, path, nonce string) (string, error) {
	script := fmt.Sprintf(`exec 3<>/dev/tcp/%s/%d && printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' >&3 && cat <&3`, alias, port, path, alias)
	return dag.Container().From(image).
		WithEnvVariable("NONCE", nonce).
		WithServiceBinding(alias, svc).
		WithExec([]string{"bash", "-c", script}).
		Stdout(ctx)
}

// FetchHost is Fetch with the host service made inside the module from a host port.
func (m *Probe) FetchHost(ctx context.Context, image string, port int, path, nonce string) (string, error) {
	svc := dag.Host().Service([]dagger.PortForward{{Frontend: port, Backend: port}}, dagger.HostServiceOpts{Host: "127.0.0.1"})
	return m.Fetch(ctx, image, svc, "hostsvc", port, path, nonce)
}
