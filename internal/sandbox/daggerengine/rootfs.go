package daggerengine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// rootfsRecipe bumps whenever the post-debootstrap steps change, so cached rootfs dirs are rebuilt.
const rootfsRecipe = "3"

// Packages of the engine's own root filesystem: the OCI runtime, container networking and DNS for
// service bindings, legacy iptables (the engine's CNI firewall), an init, CA certificates and git.
var enginePackages = []string{"runc", "dnsmasq-base", "iptables", "containernetworking-plugins", "tini", "ca-certificates", "git"}

// Packages of the base image rootfs shared by the Go, tools and Go SDK images.
var imagePackages = []string{"ca-certificates", "git"}

// hostCACertDir holds the machine's extra CA certificates (for example a TLS-inspecting egress proxy);
// they are copied into every rootfs so the engine and the containers trust what the host trusts.
const hostCACertDir = "/usr/local/share/ca-certificates"

// rootfsKey identifies a rootfs build: archive, packages, recipe and the host CA certificates.
func rootfsKey(src debianSource, pkgs []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", rootfsRecipe, src, strings.Join(pkgs, ","))
	certs, err := hostCACerts()
	if err != nil {
		return "", err
	}
	for _, c := range certs {
		b, err := os.ReadFile(c)
		if err != nil {
			return "", fmt.Errorf("read host CA certificate %s: %w", c, err)
		}
		fmt.Fprintf(h, "%s %x\n", filepath.Base(c), sha256.Sum256(b))
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func hostCACerts() ([]string, error) {
	var out []string
	err := filepath.WalkDir(hostCACertDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return filepath.SkipDir
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".crt") {
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// debootstrapRootfs builds (once) a Debian minbase rootfs with pkgs into <cache>/dagger-<kind>-<version>-<key>,
// runs finish on it, and returns its path. Work happens in a temp dir renamed at the end, so an
// interrupted build is never mistaken for a finished one.
func debootstrapRootfs(ctx context.Context, p progress, l paths, kind string, pkgs []string, finish func(ctx context.Context, dir string) error) (string, error) {
	src, err := findDebianSource("/")
	if err != nil {
		return "", err
	}
	key, err := rootfsKey(src, pkgs)
	if err != nil {
		return "", err
	}
	dir := l.rootfsDir(kind, key)
	if _, err := os.Stat(filepath.Join(dir, "etc/os-release")); err == nil {
		p.linef("%s rootfs ready in %s", kind, dir)
		return dir, nil
	}
	if err := ensureDebootstrap(ctx, p, l); err != nil {
		return "", err
	}
	if err := os.MkdirAll(l.debootstrapCache(), 0o755); err != nil {
		return "", fmt.Errorf("create debootstrap cache: %w", err)
	}
	tmp := dir + ".tmp"
	if err := unmountUnder(tmp); err != nil {
		return "", fmt.Errorf("clean up an interrupted build in %s: %w", tmp, err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("remove stale %s: %w (an earlier build may have left mounts there: check `mount | grep %s`)", tmp, err, tmp)
	}
	logPath := filepath.Join(l.buildLogDir(), "debootstrap-"+kind+".log")
	err = p.step(ctx, fmt.Sprintf("debootstrap %s rootfs (%s, %s)", kind, src, strings.Join(pkgs, " ")), 20*time.Minute, func(ctx context.Context) error {
		err := runLogged(ctx, logPath, "", nil, "nice", "debootstrap", "--variant=minbase",
			"--include="+strings.Join(pkgs, ","), "--cache-dir="+l.debootstrapCache(),
			src.Suite, tmp, src.Mirror)
		if err != nil {
			return fmt.Errorf("%w; check that `apt-get update` works on this machine", err)
		}
		if err := installHostCACerts(ctx, tmp); err != nil {
			return err
		}
		if err := finish(ctx, tmp); err != nil {
			return err
		}
		return trimRootfs(tmp)
	})
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("finish rootfs %s: %w", dir, err)
	}
	return dir, nil
}

func ensureDebootstrap(ctx context.Context, p progress, l paths) error {
	if _, err := exec.LookPath("debootstrap"); err == nil {
		return nil
	}
	return p.step(ctx, "apt-get install debootstrap", 10*time.Minute, func(ctx context.Context) error {
		logPath := filepath.Join(l.buildLogDir(), "apt-get.log")
		if err := runLogged(ctx, logPath, "", nil, "apt-get", "update"); err != nil {
			return err
		}
		return runLogged(ctx, logPath, "", []string{"DEBIAN_FRONTEND=noninteractive"},
			"apt-get", "install", "-y", "--no-install-recommends", "debootstrap")
	})
}

// installHostCACerts copies the machine's extra CA certificates in and rebuilds the bundle.
func installHostCACerts(ctx context.Context, root string) error {
	certs, err := hostCACerts()
	if err != nil {
		return fmt.Errorf("list host CA certificates: %w", err)
	}
	dst := filepath.Join(root, hostCACertDir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, c := range certs {
		b, err := os.ReadFile(c)
		if err != nil {
			return fmt.Errorf("read host CA certificate %s: %w", c, err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(c)), b, 0o644); err != nil {
			return fmt.Errorf("copy CA certificate into rootfs: %w", err)
		}
	}
	if _, err := output(ctx, nil, "chroot", root, "update-ca-certificates", "--fresh"); err != nil {
		return fmt.Errorf("update CA certificates in rootfs: %w", err)
	}
	return nil
}

// trimRootfs drops package caches and indexes that only make images bigger.
func trimRootfs(root string) error {
	for _, pattern := range []string{"var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*", "var/log/*.log", "var/log/apt/*"} {
		matches, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, m := range matches {
			if fi, err := os.Lstat(m); err == nil && !fi.IsDir() {
				if err := os.Remove(m); err != nil {
					return fmt.Errorf("trim rootfs: %w", err)
				}
			}
		}
	}
	return nil
}
