package daggerengine

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteLayer(t *testing.T) {
	src := t.TempDir()
	mustWrite(t, filepath.Join(src, "bin/tool"), "#!/bin/sh\n", 0o755)
	if err := os.Link(filepath.Join(src, "bin/tool"), filepath.Join(src, "bin/alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("tool", filepath.Join(src, "bin/link")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(src, "test/skipped"), "x", 0o644)
	extra := filepath.Join(t.TempDir(), "codegen")
	mustWrite(t, extra, "bin", 0o644)

	dst := filepath.Join(t.TempDir(), "l.tar.gz")
	skip := func(rel string) bool { return rel == "test" }
	err := writeLayer(dst, src, "usr/local/go", skip, []layerEntry{
		{name: "go/pkg/mod", dir: true, mode: 0o755},
		{name: "usr/local/bin/codegen", mode: 0o755, from: extra},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := readLayer(t, dst)
	want := map[string]byte{
		"usr/": tar.TypeDir, "usr/local/": tar.TypeDir, "usr/local/go/": tar.TypeDir, "usr/local/go/bin/": tar.TypeDir,
		"usr/local/go/bin/alias": tar.TypeReg, "usr/local/go/bin/link": tar.TypeSymlink,
		"usr/local/go/bin/tool": tar.TypeLink, // second name of the same inode (lexical order: alias first)
		"go/pkg/mod/":           tar.TypeDir, "usr/local/bin/codegen": tar.TypeReg,
	}
	for name, typ := range want {
		if got[name] != typ {
			t.Errorf("%s: type %q, want %q (all: %v)", name, got[name], typ, got)
		}
	}
	if _, ok := got["usr/local/go/test/"]; ok {
		t.Error("skipped dir was written")
	}
}

func mustWrite(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func readLayer(t *testing.T, p string) map[string]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h.Typeflag
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
