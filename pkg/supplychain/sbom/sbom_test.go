package sbom_test

import (
	"debug/buildinfo"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/platformteam/delivery/internal/supplychaintest"
	"github.com/platformteam/delivery/pkg/supplychain/sbom"
)

type file = supplychaintest.File

func f(name string, mode int64, data []byte) file { return file{Name: name, Mode: mode, Data: data} }

func layer(t *testing.T, files ...file) v1.Layer { return supplychaintest.Layer(t, files...) }

func image(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// goBinary is a real Go binary with dependencies, with its build information as the go command reads it.
func goBinary(t *testing.T) ([]byte, *buildinfo.BuildInfo) {
	t.Helper()
	path := supplychaintest.GoBinaryPath(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Deps) == 0 {
		t.Fatal("testdata/gobinary has no dependencies in its build information")
	}
	return data, info
}

const dpkgStatus = `Package: base-files
Status: install ok installed
Priority: required
Architecture: amd64
Version: 12.4+deb12u8
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy.

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u9

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
`

var subject = sbom.Image{Repository: "127.0.0.1:5002/demo-app", Digest: "sha256:" + strings.Repeat("c", 64)}

func component(bom *cdx.BOM, purlPrefix string) *cdx.Component {
	for _, c := range *bom.Components {
		if strings.HasPrefix(c.PackageURL, purlPrefix) || strings.HasPrefix(c.BOMRef, purlPrefix) {
			return &c
		}
	}
	return nil
}

func TestSBOMOfADebianBasedImageWithAGoBinary(t *testing.T) {
	bin, info := goBinary(t)
	img := image(t,
		layer(t, f("etc/os-release", 0o644, []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")),
			f("var/lib/dpkg/status", 0o644, []byte(dpkgStatus)),
			f("usr/bin/not-go", 0o755, []byte("\x7fELF this is not a go binary")),
			f("usr/bin/script", 0o755, []byte("#!/bin/sh\necho hi\n"))),
		layer(t, f("usr/local/bin/app", 0o755, bin)),
	)
	base := sbom.BaseImage{Ref: "127.0.0.1:5000/base/debian:bookworm", Digest: "sha256:" + strings.Repeat("d", 64)}
	created := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	bom, sum, err := sbom.Generate(img, subject, base, sbom.Tool{Name: "delivery", Version: "test"}, created)
	if err != nil {
		t.Fatal(err)
	}
	if sum.OS != "debian 12" || sum.OSPackages != 2 || sum.GoBinaries != 1 || len(sum.GoVersions) != 1 || sum.GoVersions[0] != info.GoVersion {
		t.Fatalf("summary: %+v", sum)
	}
	if sum.GoModules != len(info.Deps) || sum.GoModules == 0 {
		t.Fatalf("go modules: %d, the binary has %d", sum.GoModules, len(info.Deps))
	}
	// Subject, base, OS packages with purls, modules with purls.
	if bom.Metadata.Component.Version != subject.Digest || bom.Metadata.Component.Type != cdx.ComponentTypeContainer || sbom.Describes(bom) != subject.Digest {
		t.Fatalf("metadata component: %+v", bom.Metadata.Component)
	}
	if b := component(bom, "pkg:oci/debian@sha256%3Addd"); b == nil || b.Version != base.Digest || !strings.Contains(b.PackageURL, "repository_url=127.0.0.1%3A5000%2Fbase%2Fdebian") {
		t.Fatalf("base component: %+v", b)
	}
	if libc := component(bom, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?"); libc == nil || !strings.Contains(libc.PackageURL, "upstream=glibc") || !strings.Contains(libc.PackageURL, "distro=debian-12") {
		t.Fatalf("libc6: %+v", libc)
	}
	if component(bom, "pkg:deb/debian/removed-thing") != nil {
		t.Fatal("a package that is not installed is listed")
	}
	dep := info.Deps[0]
	mod := dep
	if dep.Replace != nil {
		mod = dep.Replace
	}
	if c := component(bom, "pkg:golang/"+mod.Path+"@"+mod.Version); c == nil || c.Version != mod.Version {
		t.Fatalf("module %s@%s missing", mod.Path, mod.Version)
	}
	if c := component(bom, "pkg:golang/stdlib@"+strings.TrimPrefix(info.GoVersion, "go")); c == nil {
		t.Fatal("stdlib missing")
	}
	if c := component(bom, "file:/usr/local/bin/app"); c == nil || c.Type != cdx.ComponentTypeApplication {
		t.Fatalf("binary component: %+v", c)
	}
	for _, c := range *bom.Components {
		if c.Name == "/usr/bin/not-go" || c.Name == "/usr/bin/script" {
			t.Fatalf("%s is listed as a Go binary", c.Name)
		}
	}

	// Encode → decode keeps it, and the JSON is CycloneDX 1.6.
	data, err := sbom.Encode(bom)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.BOMFormat != "CycloneDX" || head.SpecVersion != "1.6" {
		t.Fatalf("header: %+v %v", head, err)
	}
	back, err := sbom.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := sbom.Summarize(back); got.OSPackages != sum.OSPackages || got.GoModules != sum.GoModules || got.GoBinaries != 1 || got.OS != "debian 12" {
		t.Fatalf("summary of the decoded BOM: %+v, want %+v", got, sum)
	}
	// Same image, same time: the same BOM (serial number included).
	again, _, _ := sbom.Generate(img, subject, base, sbom.Tool{Name: "delivery", Version: "test"}, created)
	if again.SerialNumber != bom.SerialNumber || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		t.Fatalf("serial numbers %s %s", bom.SerialNumber, again.SerialNumber)
	}
}

func TestSBOMOfAScratchImageRecordsTheEmptyBase(t *testing.T) {
	bin, _ := goBinary(t)
	// A file deleted by a later layer (whiteout) is not in the image any more.
	img := image(t,
		layer(t, f("old-app", 0o755, bin)),
		layer(t, f("demo-app", 0o755, bin), f(".wh.old-app", 0o644, nil)),
	)
	bom, sum, err := sbom.Generate(img, subject, sbom.BaseImage{Ref: "scratch"}, sbom.Tool{Name: "delivery"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if sum.OSPackages != 0 || sum.OS != "" || sum.GoBinaries != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	base := component(bom, "base:scratch")
	if base == nil || base.Name != "scratch" || !strings.Contains(base.Description, "empty base") {
		t.Fatalf("base: %+v", base)
	}
	if component(bom, "file:/old-app") != nil || component(bom, "file:/demo-app") == nil {
		t.Fatal("whiteouts not applied")
	}
}

func TestSBOMRefusesAnUnpinnedBase(t *testing.T) {
	img := image(t)
	_, _, err := sbom.Generate(img, subject, sbom.BaseImage{Ref: "127.0.0.1:5000/base/debian:bookworm"}, sbom.Tool{}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "pins its base by digest") {
		t.Fatalf("unpinned base: %v", err)
	}
	if _, _, err := sbom.Generate(img, sbom.Image{Repository: "r", Digest: "latest"}, sbom.BaseImage{Ref: "scratch"}, sbom.Tool{}, time.Now()); err == nil {
		t.Fatal("a subject without digest was accepted")
	}
}
