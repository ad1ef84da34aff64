package daggerengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Inside the engine rootfs the built binaries appear under binMountInEngine (a bind mount of the tools
// bin dir made at start), so a rebuilt engine never needs a new rootfs.
const binMountInEngine = "/usr/local/lib/dagger"

// Paths inside the engine rootfs the engine expects (see tools/dagger/distconsts).
const (
	builtinContentDir = "/usr/local/share/dagger/content"
	engineStateDir    = "/var/lib/dagger"
	cniBinDir         = "/opt/cni/bin"
)

// buildEngineRootfs makes (once) the engine's root filesystem and records its path for startEngine.
func buildEngineRootfs(ctx context.Context, p progress, l paths) error {
	dir, err := debootstrapRootfs(ctx, p, l, "engine-rootfs", enginePackages, finishEngineRootfs)
	if err != nil {
		return fmt.Errorf("engine rootfs: %w", err)
	}
	return os.WriteFile(filepath.Join(l.toolsDir(), "engine-rootfs"), []byte(dir), 0o644)
}

// engineRootfs is the rootfs recorded by the last buildEngineRootfs.
func engineRootfs(l paths) (string, error) {
	b, err := os.ReadFile(filepath.Join(l.toolsDir(), "engine-rootfs"))
	if err != nil {
		return "", fmt.Errorf("engine rootfs not built yet: %w (run the sandbox up with --with-dagger)", err)
	}
	return string(b), nil
}

// finishEngineRootfs wires the Debian packages and the (bind-mounted) dagger binaries into the paths
// the engine uses: legacy iptables, runc, the CNI plugin dir with dnsname, dagger-init, mount points.
func finishEngineRootfs(ctx context.Context, root string) error {
	for _, alt := range [][2]string{{"iptables", "/usr/sbin/iptables-legacy"}, {"ip6tables", "/usr/sbin/ip6tables-legacy"}} {
		if _, err := output(ctx, nil, "chroot", root, "update-alternatives", "--set", alt[0], alt[1]); err != nil {
			return fmt.Errorf("select legacy %s: %w", alt[0], err)
		}
	}
	for _, d := range []string{binMountInEngine, builtinContentDir, engineStateDir, cniBinDir, "/etc/dagger", "/oldroot"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	links := map[string]string{
		"/usr/local/bin/runc":          "/usr/sbin/runc",
		"/usr/local/bin/dagger-engine": binMountInEngine + "/engine",
		"/usr/local/bin/dagger-init":   binMountInEngine + "/init",
		"/usr/local/bin/dagger":        binMountInEngine + "/dagger",
		"/usr/local/bin/buildctl":      binMountInEngine + "/dialstdio",
		cniBinDir + "/dnsname":         binMountInEngine + "/dnsname",
	}
	plugins, err := filepath.Glob(filepath.Join(root, "usr/lib/cni/*"))
	if err != nil || len(plugins) == 0 {
		return fmt.Errorf("no CNI plugins under /usr/lib/cni in the engine rootfs (package containernetworking-plugins): %v", err)
	}
	for _, pl := range plugins {
		links[cniBinDir+"/"+filepath.Base(pl)] = "/usr/lib/cni/" + filepath.Base(pl)
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			return fmt.Errorf("link %s: %w", link, err)
		}
	}
	return nil
}
