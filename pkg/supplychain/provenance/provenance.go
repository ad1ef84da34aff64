// Package provenance writes and reads SLSA v1 build provenance (https://slsa.dev/provenance/v1) for
// the pipeline's image builds: which commit was built, by which builder (the Dagger engine version and
// the pipeline's Dagger module), from which inputs (the base images by digest, the Go toolchain) and
// with which parameters. The predicate goes into an in-toto statement whose subject is the image digest.
package provenance

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// BuildType identifies how this pipeline builds: a Dockerfile build of the environment's build context
// by the Dagger engine, its base images passed as build arguments pinned by digest.
const BuildType = "https://github.com/platformteam/delivery/buildtypes/dagger-dockerfile/v1"

// BuilderID is the pipeline's Dagger module (dagger.json at the repository root, source ci/). Whatever
// runner starts it (laptop, GitHub Actions, CodeBuild), the module is the builder.
const BuilderID = "https://github.com/platformteam/delivery/ci"

// Builder version keys.
const (
	VersionDaggerEngine = "dagger-engine"
	VersionDaggerModule = "dagger-module"
)

// Dependency names in resolvedDependencies.
const (
	DepSource      = "source"
	DepGoToolchain = "go-toolchain"
	// DepBaseImagePrefix prefixes a base image's role: base-image:go, base-image:runtime.
	DepBaseImagePrefix = "base-image:"
)

// Predicate is SLSA Provenance v1.
type Predicate struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is what was asked for and what was used.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   ExternalParameters   `json:"externalParameters"`
	InternalParameters   map[string]any       `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies"`
}

// ExternalParameters are the build's inputs a user controls (this build type's schema).
type ExternalParameters struct {
	// Environment is the delivery.yaml the build read.
	Environment string `json:"environment"`
	// Context is the build context directory, Dockerfile the file in it.
	Context    string `json:"context"`
	Dockerfile string `json:"dockerfile"`
	// BuildArgs are the Dockerfile build arguments (never secrets), base image references included.
	BuildArgs map[string]string `json:"buildArgs"`
	// BaseImages are the base image references as configured, by role (go, runtime).
	BaseImages map[string]string `json:"baseImages"`
}

// ResourceDescriptor is an artifact the build used.
type ResourceDescriptor struct {
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
	Name   string            `json:"name,omitempty"`
}

// RunDetails says who built it and when.
type RunDetails struct {
	Builder  Builder  `json:"builder"`
	Metadata Metadata `json:"metadata"`
}

// Builder is the trusted party that ran the build.
type Builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// Metadata of one build run.
type Metadata struct {
	InvocationID string     `json:"invocationId,omitempty"`
	StartedOn    *time.Time `json:"startedOn,omitempty"`
	FinishedOn   *time.Time `json:"finishedOn,omitempty"`
}

// BaseImage is one base image the build started from.
type BaseImage struct {
	// Role is the Dockerfile stage it feeds: "go" (the build stage) or "runtime" (the final stage).
	Role string `json:"role"`
	// Ref is the reference as configured; Digest what the build used ("" only for scratch).
	Ref    string `json:"ref"`
	Digest string `json:"digest,omitempty"`
}

// Build is what the pipeline knows about one image build: the typed input of a provenance predicate.
type Build struct {
	// Commit is the git commit built (full SHA when known).
	Commit string `json:"commit"`
	// Source is the repository URI (e.g. git+https://github.com/<owner>/<repo>); optional.
	Source      string            `json:"source,omitempty"`
	Environment string            `json:"environment"`
	Context     string            `json:"context"`
	Dockerfile  string            `json:"dockerfile"`
	BuildArgs   map[string]string `json:"build_args"`
	BaseImages  []BaseImage       `json:"base_images"`
	// GoVersion is the toolchain that built the binary (from its build information), e.g. go1.26.0.
	GoVersion string `json:"go_version"`
	// DaggerEngine is the engine version that ran the build, DaggerModule the pipeline module's name.
	DaggerEngine string `json:"dagger_engine"`
	DaggerModule string `json:"dagger_module"`
	// InvocationID names the run (CI run id, or a random id on a laptop).
	InvocationID string    `json:"invocation_id,omitempty"`
	StartedOn    time.Time `json:"started_on"`
	FinishedOn   time.Time `json:"finished_on"`
}

// Validate reports every missing or malformed input at once.
func (b *Build) Validate() error {
	var errs []error
	if !isHex(b.Commit) || len(b.Commit) < 7 {
		errs = append(errs, fmt.Errorf("commit %q is not a git commit SHA", b.Commit))
	}
	if b.Environment == "" || b.Context == "" || b.Dockerfile == "" {
		errs = append(errs, errors.New("environment, context and dockerfile are required"))
	}
	if len(b.BaseImages) == 0 {
		errs = append(errs, errors.New("no base images: the build starts from at least its runtime base"))
	}
	for _, img := range b.BaseImages {
		switch {
		case img.Role == "" || img.Ref == "":
			errs = append(errs, fmt.Errorf("base image %+v: role and ref are required", img))
		case img.Ref == "scratch" && img.Digest == "":
		case !isDigest(img.Digest):
			errs = append(errs, fmt.Errorf("base image %s (%s) is not pinned: digest %q is not sha256:<64 hex>", img.Ref, img.Role, img.Digest))
		}
	}
	if !strings.HasPrefix(b.GoVersion, "go") {
		errs = append(errs, fmt.Errorf("go version %q is not a Go toolchain version (go1.x)", b.GoVersion))
	}
	if b.DaggerEngine == "" || b.DaggerModule == "" {
		errs = append(errs, errors.New("the builder's Dagger engine version and module name are required"))
	}
	if b.StartedOn.IsZero() || b.FinishedOn.Before(b.StartedOn) {
		errs = append(errs, errors.New("started_on is required and finished_on must not be before it"))
	}
	return errors.Join(errs...)
}

// New turns a build into its provenance predicate.
func New(b Build) (*Predicate, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	source := ResourceDescriptor{Name: DepSource, Digest: map[string]string{"gitCommit": strings.ToLower(b.Commit)}}
	if b.Source != "" {
		source.URI = b.Source + "@" + strings.ToLower(b.Commit)
	}
	deps := []ResourceDescriptor{source}
	bases := map[string]string{}
	images := append([]BaseImage{}, b.BaseImages...)
	sort.Slice(images, func(i, j int) bool { return images[i].Role < images[j].Role })
	for _, img := range images {
		bases[img.Role] = img.Ref
		d := ResourceDescriptor{Name: DepBaseImagePrefix + img.Role, URI: img.Ref}
		if img.Digest != "" {
			algo, hex, _ := strings.Cut(img.Digest, ":")
			d.Digest = map[string]string{algo: hex}
		}
		deps = append(deps, d)
	}
	deps = append(deps, ResourceDescriptor{Name: DepGoToolchain, URI: "pkg:golang/toolchain@" + b.GoVersion})
	started, finished := b.StartedOn.UTC(), b.FinishedOn.UTC()
	return &Predicate{
		BuildDefinition: BuildDefinition{
			BuildType: BuildType,
			ExternalParameters: ExternalParameters{Environment: b.Environment, Context: b.Context, Dockerfile: b.Dockerfile,
				BuildArgs: b.BuildArgs, BaseImages: bases},
			ResolvedDependencies: deps,
		},
		RunDetails: RunDetails{
			Builder:  Builder{ID: BuilderID, Version: map[string]string{VersionDaggerEngine: b.DaggerEngine, VersionDaggerModule: b.DaggerModule}},
			Metadata: Metadata{InvocationID: b.InvocationID, StartedOn: &started, FinishedOn: &finished},
		},
	}, nil
}

// Parse decodes a predicate (from a verified statement).
func Parse(raw json.RawMessage) (*Predicate, error) {
	var p Predicate
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("malformed SLSA provenance: %w", err)
	}
	if p.BuildDefinition.BuildType == "" || p.RunDetails.Builder.ID == "" {
		return nil, errors.New("malformed SLSA provenance: buildDefinition.buildType and runDetails.builder.id are required")
	}
	return &p, nil
}

// Commit is the git commit of the source dependency ("" when the provenance names none).
func (p *Predicate) Commit() string {
	for _, d := range p.BuildDefinition.ResolvedDependencies {
		if d.Name == DepSource {
			return d.Digest["gitCommit"]
		}
	}
	return ""
}

// BaseImages are the base images the provenance records, by role.
func (p *Predicate) BaseImages() []BaseImage {
	var out []BaseImage
	for _, d := range p.BuildDefinition.ResolvedDependencies {
		role, ok := strings.CutPrefix(d.Name, DepBaseImagePrefix)
		if !ok {
			continue
		}
		img := BaseImage{Role: role, Ref: d.URI}
		if hex, ok := d.Digest["sha256"]; ok {
			img.Digest = "sha256:" + hex
		}
		out = append(out, img)
	}
	return out
}

// GoVersion is the Go toolchain the provenance records.
func (p *Predicate) GoVersion() string {
	for _, d := range p.BuildDefinition.ResolvedDependencies {
		if d.Name == DepGoToolchain {
			return strings.TrimPrefix(d.URI, "pkg:golang/toolchain@")
		}
	}
	return ""
}

// SameCommit reports whether two SHAs of at least 7 hex characters name the same commit: equal, or one
// abbreviates the other (artifact.json keeps the short form, provenance the full one).
func SameCommit(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if len(a) < 7 || len(b) < 7 || !isHex(a) || !isHex(b) {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return strings.HasPrefix(b, a)
}

func isHex(s string) bool {
	return s != "" && strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

func isDigest(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	return ok && len(hex) == 64 && isHex(hex)
}
