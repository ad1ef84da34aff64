package daggerengine

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestEngineTOMLMarksRegistryPlainHTTP(t *testing.T) {
	got := engineTOML("127.0.0.1:5000")
	for _, want := range []string{`[registry."127.0.0.1:5000"]`, "http = true", "insecure = true"} {
		if !strings.Contains(got, want) {
			t.Errorf("engine.toml lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(engineTOML(""), "[registry") {
		t.Error("no registry section expected without a registry")
	}
}

func TestStartScript(t *testing.T) {
	sp := startParams{
		Rootfs: "/c/rootfs", MountRoot: "/s/root", BinDir: "/c/bin", ContentDir: "/c/images",
		EngineLib: "/s/lib", EtcDagger: "/s/etc-dagger", StateDir: "/s it's",
		StateMount: stateMountInEngine, BinMount: binMountInEngine, ContentMount: builtinContentDir,
		EngineStateDir: engineStateDir, CustomCADir: hostCACertDir,
		Env: map[string]string{"B": "2", "A": "x y"},
	}
	script, err := renderStartScript(sp)
	if err != nil {
		t.Fatal(err)
	}
	b := string(script)
	for _, want := range []string{
		`mount --bind '/c/rootfs' "$root"`,
		`mount --bind '/s it'\''s' "$root"'/run/sandbox'`,
		"pivot_root . oldroot",
		// the engine must see no custom CA dir, or it runs update-ca-certificates before every exec
		`mount -t tmpfs -o mode=755 tmpfs "$root"'/usr/local/share/ca-certificates'`,
		"export A='x y'\nexport B='2'\n",
		"exec tini -- dagger-engine --config '/run/sandbox'/engine.toml --addr unix:///run/sandbox/engine.sock",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("start script lacks %q:\n%s", want, b)
		}
	}
}

func TestGoMinor(t *testing.T) {
	for in, want := range map[string]string{"go1.26.8": "1.26", "go1.27": "1.27"} {
		if got, err := goMinor(in); err != nil || got != want {
			t.Errorf("goMinor(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := goMinor("devel"); err == nil {
		t.Error("want an error for an unparsable version")
	}
}

func TestNewPathsValidates(t *testing.T) {
	if _, err := newPaths(Options{}); err == nil {
		t.Error("want an error without dirs")
	}
	if _, err := newPaths(Options{CacheDir: "c", StateDir: "/" + strings.Repeat("x", 120)}); err == nil {
		t.Error("want an error for a socket path too long")
	}
	if _, err := newPaths(Options{CacheDir: "c", StateDir: "s", Registry: "http://127.0.0.1:5000"}); err == nil {
		t.Error("want an error for a registry with a scheme")
	}
	l, err := newPaths(Options{CacheDir: "/c", StateDir: "/s", Registry: "127.0.0.1:5000"})
	if err != nil {
		t.Fatal(err)
	}
	if l.runnerHost() != "unix:///s/engine.sock" || l.cliPath() != "/c/tools/dagger-"+Version+"/bin/dagger" {
		t.Errorf("unexpected paths: %s %s", l.runnerHost(), l.cliPath())
	}
}

// Every file the engine is started with is part of its configuration fingerprint, so a change of any
// (the registry, the start script) restarts it (package proc tests the restart itself).
func TestEngineFilesAreItsConfiguration(t *testing.T) {
	l, err := newPaths(Options{CacheDir: t.TempDir(), StateDir: t.TempDir(), Registry: "127.0.0.1:5000"})
	if err != nil {
		t.Fatal(err)
	}
	files := wantedFiles(l, []byte("#!/bin/sh\n"))
	if err := files.write(); err != nil {
		t.Fatal(err)
	}
	config := l.process(nil).ConfigFiles
	for path, want := range files {
		if !slices.Contains(config, path) {
			t.Errorf("%s is not in the engine's configuration files %v", path, config)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != string(want) {
			t.Errorf("%s holds %q (%v), want %q", path, got, err, want)
		}
	}
	if info, err := os.Stat(l.startScript()); err != nil || info.Mode().Perm()&0o100 == 0 {
		t.Errorf("start script mode: %v %v", info, err)
	}
	l.registry = "127.0.0.1:5001"
	if string(wantedFiles(l, nil)[l.configFile()]) == string(files[l.configFile()]) {
		t.Error("another registry must change engine.toml")
	}
}
