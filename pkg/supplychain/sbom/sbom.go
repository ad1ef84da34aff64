// Package sbom writes the software bill of materials of a built image as CycloneDX JSON: the image
// itself (by digest), its base image (by digest, or the empty `scratch` base), the operating-system
// packages the base installed (dpkg's status database, when there is one), and every Go binary in the
// image with the Go toolchain and the modules it was built from (read from the binary's embedded build
// information, as `go version -m` does). Everything is read from the image's layers; nothing runs.
package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/platformteam/delivery/pkg/supplychain/result"
)

// Image is the image a BOM describes: its repository and manifest digest.
type Image struct {
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
}

// BaseImage is the image the final stage starts from.
type BaseImage struct {
	// Ref is the reference as configured (delivery.yaml images.runtime): "scratch" for the empty base.
	Ref string `json:"ref"`
	// Digest is the manifest digest the build used ("" only for scratch).
	Digest string `json:"digest,omitempty"`
}

// Scratch reports whether the base is the empty image.
func (b BaseImage) Scratch() bool { return b.Ref == "scratch" }

// Tool names the generator in the BOM's metadata.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Summary counts what a BOM lists (result.SBOM, the type reports carry).
type Summary = result.SBOM

// maxBinary bounds the size of a file read to look for Go build information.
const maxBinary = 512 << 20

// Generate reads img's flattened filesystem and returns its BOM. created is the BOM's timestamp.
func Generate(img v1.Image, subject Image, base BaseImage, tool Tool, created time.Time) (*cdx.BOM, Summary, error) {
	if subject.Repository == "" || !strings.HasPrefix(subject.Digest, "sha256:") {
		return nil, Summary{}, fmt.Errorf("SBOM subject %s@%s: a repository and a sha256 digest are required", subject.Repository, subject.Digest)
	}
	if !base.Scratch() && !strings.HasPrefix(base.Digest, "sha256:") {
		return nil, Summary{}, fmt.Errorf("base image %q has no digest: the build pins its base by digest before it builds", base.Ref)
	}
	fs, err := scan(img)
	if err != nil {
		return nil, Summary{}, fmt.Errorf("read the layers of %s@%s: %w", subject.Repository, subject.Digest, err)
	}
	return assemble(fs, subject, base, tool, created)
}

// contents is what the scan found.
type contents struct {
	osRelease map[string]string
	packages  []debPackage
	binaries  []goBinary
}

type debPackage struct{ name, version, arch, source string }

type goBinary struct {
	path string
	info *buildinfo.BuildInfo
}

// scan walks the flattened filesystem (whiteouts applied) once.
func scan(img v1.Image) (*contents, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	c := &contents{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean("/" + h.Name)
		switch {
		case name == "/etc/os-release" || (name == "/usr/lib/os-release" && c.osRelease == nil):
			data, err := io.ReadAll(io.LimitReader(tr, 64<<10))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			c.osRelease = parseOSRelease(data)
		case name == "/var/lib/dpkg/status" || (strings.HasPrefix(name, "/var/lib/dpkg/status.d/") && !strings.HasSuffix(name, ".md5sums")):
			pkgs, err := parseDpkgStatus(tr)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			c.packages = append(c.packages, pkgs...)
		case h.Mode&0o111 != 0 && h.Size > 4 && h.Size <= maxBinary:
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			if !bytes.HasPrefix(data, []byte("\x7fELF")) {
				continue
			}
			info, err := buildinfo.Read(bytes.NewReader(data))
			if err != nil {
				continue // an executable, but not a Go binary (or one without build information)
			}
			c.binaries = append(c.binaries, goBinary{path: name, info: info})
		}
	}
	return c, nil
}

func parseOSRelease(data []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && !strings.HasPrefix(k, "#") {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return out
}

// parseDpkgStatus reads dpkg's status database: stanzas of "Field: value" lines separated by blank
// lines; only packages whose Status ends in "installed" are kept.
func parseDpkgStatus(r io.Reader) ([]debPackage, error) {
	var out []debPackage
	fields := map[string]string{}
	flush := func() {
		status := fields["Status"]
		if fields["Package"] != "" && (status == "" || strings.HasSuffix(status, " installed")) {
			src, _, _ := strings.Cut(fields["Source"], " ")
			out = append(out, debPackage{name: fields["Package"], version: fields["Version"], arch: fields["Architecture"], source: src})
		}
		fields = map[string]string{}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			// continuation of a multi-line field (descriptions, conffiles): not needed
		default:
			if k, v, ok := strings.Cut(line, ":"); ok {
				fields[k] = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	return out, nil
}

// Property names this package writes.
const (
	PropBaseImage     = "delivery:base-image"
	PropGoVersion     = "delivery:go-version"
	PropGoModuleSum   = "delivery:go-module-sum"
	PropGoReplaces    = "delivery:go-module-replaces"
	PropGoBuildSet    = "delivery:go-build-setting:"
	PropMainModule    = "delivery:go-main-module"
	PropEmptyBaseNote = "delivery:empty-base"
)

func assemble(c *contents, subject Image, base BaseImage, tool Tool, created time.Time) (*cdx.BOM, Summary, error) {
	bom := cdx.NewBOM()
	bom.SerialNumber = serial(subject.Digest, created)
	imageRef := ociPURL(subject.Repository, subject.Digest)
	bom.Metadata = &cdx.Metadata{
		Timestamp: created.UTC().Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: tool.Name, Version: tool.Version}}},
		Component: &cdx.Component{BOMRef: imageRef, Type: cdx.ComponentTypeContainer, Name: subject.Repository,
			Version: subject.Digest, PackageURL: imageRef},
	}
	var components []cdx.Component
	var deps []cdx.Dependency
	imageDeps := []string{}
	sum := Summary{}

	// The base image, by digest; scratch has none and adds nothing to the filesystem.
	baseComp := cdx.Component{Type: cdx.ComponentTypeContainer, Name: base.Ref,
		Properties: &[]cdx.Property{{Name: PropBaseImage, Value: "runtime"}}}
	if base.Scratch() {
		baseComp.BOMRef = "base:scratch"
		baseComp.Description = "the empty base image: no operating-system layer and no packages"
		*baseComp.Properties = append(*baseComp.Properties, cdx.Property{Name: PropEmptyBaseNote, Value: "true"})
	} else {
		repo, _, _ := strings.Cut(base.Ref, "@")
		baseComp.BOMRef = ociPURL(repoWithoutTag(repo), base.Digest)
		baseComp.Version = base.Digest
		baseComp.PackageURL = baseComp.BOMRef
	}
	components = append(components, baseComp)
	imageDeps = append(imageDeps, baseComp.BOMRef)

	// The operating system and its packages.
	distro, distroVersion := c.osRelease["ID"], c.osRelease["VERSION_ID"]
	if distro != "" {
		sum.OS = strings.TrimSpace(distro + " " + distroVersion)
		osRef := "os:" + distro + "@" + distroVersion
		components = append(components, cdx.Component{BOMRef: osRef, Type: cdx.ComponentTypeOS, Name: distro, Version: distroVersion,
			Description: c.osRelease["PRETTY_NAME"]})
		imageDeps = append(imageDeps, osRef)
	}
	sort.Slice(c.packages, func(i, j int) bool { return c.packages[i].name < c.packages[j].name })
	seenPkg := map[string]bool{}
	for _, p := range c.packages {
		ref := debPURL(p, distro, distroVersion)
		if seenPkg[ref] {
			continue
		}
		seenPkg[ref] = true
		comp := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: p.name, Version: p.version, PackageURL: ref}
		components = append(components, comp)
		imageDeps = append(imageDeps, ref)
		sum.OSPackages++
	}

	// Go binaries and the modules they were built from.
	goVersions := map[string]bool{}
	modules := map[string]cdx.Component{}
	sort.Slice(c.binaries, func(i, j int) bool { return c.binaries[i].path < c.binaries[j].path })
	for _, b := range c.binaries {
		sum.GoBinaries++
		sum.Binaries = append(sum.Binaries, result.GoBinary{Path: b.path, GoVersion: b.info.GoVersion, MainModule: b.info.Main.Path})
		goVersions[b.info.GoVersion] = true
		binRef := "file:" + b.path
		props := []cdx.Property{{Name: PropGoVersion, Value: b.info.GoVersion}, {Name: PropMainModule, Value: b.info.Main.Path}}
		for _, s := range b.info.Settings {
			props = append(props, cdx.Property{Name: PropGoBuildSet + s.Key, Value: s.Value})
		}
		components = append(components, cdx.Component{BOMRef: binRef, Type: cdx.ComponentTypeApplication, Name: b.path,
			Version: b.info.Main.Version, Description: "Go binary of module " + b.info.Main.Path, Properties: &props})
		imageDeps = append(imageDeps, binRef)

		stdRef := "pkg:golang/stdlib@" + strings.TrimPrefix(b.info.GoVersion, "go")
		modules[stdRef] = cdx.Component{BOMRef: stdRef, Type: cdx.ComponentTypeLibrary, Name: "stdlib", Version: b.info.GoVersion, PackageURL: stdRef}
		binDeps := []string{stdRef}
		for _, m := range b.info.Deps {
			mod, replaced := m, ""
			if m.Replace != nil {
				mod, replaced = m.Replace, m.Path+"@"+m.Version
			}
			ref := goPURL(mod.Path, mod.Version)
			comp := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: mod.Path, Version: mod.Version, PackageURL: ref}
			var mp []cdx.Property
			if mod.Sum != "" {
				mp = append(mp, cdx.Property{Name: PropGoModuleSum, Value: mod.Sum})
			}
			if replaced != "" {
				mp = append(mp, cdx.Property{Name: PropGoReplaces, Value: replaced})
			}
			if len(mp) > 0 {
				comp.Properties = &mp
			}
			modules[ref] = comp
			binDeps = append(binDeps, ref)
		}
		sort.Strings(binDeps)
		deps = append(deps, cdx.Dependency{Ref: binRef, Dependencies: &binDeps})
	}
	refs := make([]string, 0, len(modules))
	for ref := range modules {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		components = append(components, modules[ref])
		if !strings.HasPrefix(ref, "pkg:golang/stdlib@") {
			sum.GoModules++
		}
	}
	for v := range goVersions {
		sum.GoVersions = append(sum.GoVersions, v)
	}
	sort.Strings(sum.GoVersions)

	deps = append([]cdx.Dependency{{Ref: imageRef, Dependencies: &imageDeps}}, deps...)
	bom.Components = &components
	bom.Dependencies = &deps
	return bom, sum, nil
}

// Encode writes the BOM as compact CycloneDX 1.6 JSON.
func Encode(bom *cdx.BOM) ([]byte, error) {
	var b bytes.Buffer
	if err := cdx.NewBOMEncoder(&b, cdx.BOMFileFormatJSON).SetPretty(false).EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encode SBOM: %w", err)
	}
	return bytes.TrimSpace(b.Bytes()), nil
}

// Decode reads CycloneDX JSON.
func Decode(data []byte) (*cdx.BOM, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("decode SBOM: %w", err)
	}
	if bom.BOMFormat != cdx.BOMFormat {
		return nil, fmt.Errorf("decode SBOM: bomFormat %q is not %s", bom.BOMFormat, cdx.BOMFormat)
	}
	return &bom, nil
}

// Describes returns the digest of the image a BOM describes (metadata.component.version).
func Describes(bom *cdx.BOM) string {
	if bom.Metadata == nil || bom.Metadata.Component == nil {
		return ""
	}
	return bom.Metadata.Component.Version
}

// Summarize counts what a BOM lists, from the properties and types Generate writes.
func Summarize(bom *cdx.BOM) Summary {
	var s Summary
	if bom.Components == nil {
		return s
	}
	versions := map[string]bool{}
	for _, c := range *bom.Components {
		switch {
		case c.Type == cdx.ComponentTypeOS:
			s.OS = strings.TrimSpace(c.Name + " " + c.Version)
		case strings.HasPrefix(c.PackageURL, "pkg:deb/"):
			s.OSPackages++
		case strings.HasPrefix(c.PackageURL, "pkg:golang/stdlib@"):
		case strings.HasPrefix(c.PackageURL, "pkg:golang/"):
			s.GoModules++
		case strings.HasPrefix(c.BOMRef, "file:") && c.Properties != nil:
			s.GoBinaries++
			for _, p := range *c.Properties {
				if p.Name == PropGoVersion {
					versions[p.Value] = true
				}
			}
		}
	}
	for v := range versions {
		s.GoVersions = append(s.GoVersions, v)
	}
	sort.Strings(s.GoVersions)
	return s
}

func repoWithoutTag(ref string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

// ociPURL is the package URL of an image: pkg:oci/<name>@<digest>?repository_url=<repository>.
func ociPURL(repository, digest string) string {
	return "pkg:oci/" + path.Base(repository) + "@" + url.QueryEscape(digest) + "?repository_url=" + url.QueryEscape(repository)
}

func goPURL(module, version string) string {
	return "pkg:golang/" + module + "@" + version
}

func debPURL(p debPackage, distro, version string) string {
	if distro == "" {
		distro = "debian"
	}
	q := url.Values{}
	if p.arch != "" {
		q.Set("arch", p.arch)
	}
	if version != "" {
		q.Set("distro", distro+"-"+version)
	}
	if p.source != "" && p.source != p.name {
		q.Set("upstream", p.source)
	}
	s := "pkg:deb/" + distro + "/" + p.name + "@" + url.QueryEscape(p.version)
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// serial is a version-4-shaped UUID derived from the image digest and the time: stable for one BOM.
func serial(digest string, created time.Time) string {
	h := sha256.Sum256([]byte(digest + "|" + created.UTC().Format(time.RFC3339Nano)))
	h[6] = (h[6] & 0x0f) | 0x40
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
