package kube

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/toolchain"
)

// tools are the cluster's binaries and how they are built, in build order (cheap first).
func tools(repoRoot string) (etcd, kwok, kube toolchain.GoTool) {
	etcd = toolchain.GoTool{
		Name: "etcd", Version: EtcdVersion, Binary: "etcd", Timeout: 20 * time.Minute,
		Why: "the Kubernetes API server's storage", Expect: "about 1-5 min",
		ModuleDir: filepath.Join(repoRoot, "tools", "etcd"),
	}
	kwok = toolchain.GoTool{
		Name: "kwok", Version: KwokVersion, Binary: "kwok", Timeout: 20 * time.Minute,
		Why: "fake nodes and pod lifecycles for the local cluster", Expect: "about 1-5 min",
		Pkg:     "sigs.k8s.io/kwok/cmd/kwok@" + KwokVersion,
		LDFlags: "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=" + strings.TrimPrefix(KwokVersion, "v"),
	}
	kube = toolchain.GoTool{
		Name: "kubernetes", Version: KubernetesVersion, Binary: "kube", Timeout: 60 * time.Minute,
		Why: "kube-apiserver, kube-controller-manager and kube-scheduler in one binary", Expect: "about 10-30 min on 2 cores",
		ModuleDir: filepath.Join(repoRoot, "tools", "k8s"),
		LDFlags:   kubeVersionLDFlags(KubernetesVersion),
	}
	return etcd, kwok, kube
}

// BuildBinaries builds the cluster's binaries that are not in the cache yet.
func BuildBinaries(ctx context.Context, repoRoot, cacheDir string, progress io.Writer) (Binaries, error) {
	etcd, kwok, kube := tools(repoRoot)
	var b Binaries
	for _, t := range []struct {
		tool toolchain.GoTool
		path *string
	}{{etcd, &b.Etcd}, {kwok, &b.Kwok}, {kube, &b.Kube}} {
		path, err := t.tool.Ensure(ctx, cacheDir, progress)
		if err != nil {
			return b, err
		}
		*t.path = path
	}
	return b, nil
}

// CachedBinaries is where BuildBinaries puts the binaries, whether they exist or not (for stopping and
// status, which never build anything).
func CachedBinaries(repoRoot, cacheDir string) Binaries {
	etcd, kwok, kube := tools(repoRoot)
	return Binaries{Etcd: etcd.Path(cacheDir), Kwok: kwok.Path(cacheDir), Kube: kube.Path(cacheDir)}
}

// kubeVersionLDFlags stamps the version the API server reports on /version; without it the server
// says v0.0.0 and Helm charts with a kubeVersion constraint refuse to install.
func kubeVersionLDFlags(version string) string {
	major, minor := "", ""
	if parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	const pkg = "k8s.io/component-base/version"
	return strings.Join([]string{
		"-s -w",
		"-X " + pkg + ".gitVersion=" + version,
		"-X " + pkg + ".gitMajor=" + major,
		"-X " + pkg + ".gitMinor=" + minor,
		"-X " + pkg + ".gitTreeState=clean",
	}, " ")
}
