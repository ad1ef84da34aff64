package toolchain

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func TestBuildHoldsTheBinaryAtBin(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "terraform")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho fake terraform\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	img, err := buildTerraformImage(bin, "terraform")
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "bin/terraform" {
			body, _ := io.ReadAll(tr)
			found = strings.Contains(string(body), "fake terraform") && h.Mode&0o111 != 0
		}
	}
	if !found {
		t.Fatal("image lacks an executable /bin/terraform with the binary's content")
	}
	cfg, err := img.ConfigFile()
	if err != nil || cfg.Config.Entrypoint[0] != "/bin/terraform" || cfg.OS != "linux" {
		t.Fatalf("config: %+v %v", cfg, err)
	}
	if TerraformImageRef("127.0.0.1:5000", "tofu") != "127.0.0.1:5000/base/tofu:sandbox" {
		t.Fatal("ref")
	}
}

func TestPushRejectsOtherBinaries(t *testing.T) {
	if _, err := pushTerraformImage(t.Context(), "127.0.0.1:1", "/usr/bin/env"); err == nil || !strings.Contains(err.Error(), "terraform or tofu") {
		t.Fatalf("want a clear error, got %v", err)
	}
}
