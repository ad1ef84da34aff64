// Package artifact defines artifact.json, the one contract between the build stage and the deploy stages.
//
// A build writes it once; every deploy stage reads it and deploys exactly the digest it names. Reading
// validates the whole document (required fields, formats, unknown keys) so a broken hand-off fails before
// any deploy touches a service.
package artifact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultPath is where stages write and read the artifact when no path is given.
const DefaultPath = "artifact.json"

// Artifact is the build's output: which commit produced which image, pinned by digest.
type Artifact struct {
	// CommitSHA is the short (7 character) git commit the image was built from; it is also the image tag.
	CommitSHA string `json:"commit_sha"`
	// Image is the repository reference without tag or digest, e.g. "<registry>/demo-app".
	Image string `json:"image"`
	// Digest is the manifest digest the registry returned for the pushed image ("sha256:<64 hex>").
	Digest string `json:"digest"`
	// BuildVersion is the version string baked into the deploys (buildVersion in Helm, the tag in ECS).
	BuildVersion string `json:"build_version"`
	// Created is when the build produced the artifact (RFC 3339, UTC).
	Created time.Time `json:"created"`
}

var (
	shortSHARE = regexp.MustCompile(`^[0-9a-f]{7}$`)
	digestRE   = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// repository reference: optional host[:port]/ then lower-case path components; no tag, no digest.
	imageRE   = regexp.MustCompile(`^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)
)

// Ref is the immutable reference deploys use: image@digest.
func (a *Artifact) Ref() string { return a.Image + "@" + a.Digest }

// Tag is the mutable tag the build pushed next to the digest (the short commit SHA).
func (a *Artifact) Tag() string { return a.CommitSHA }

// Validate reports every problem in the artifact at once, naming the JSON field.
func (a *Artifact) Validate() error {
	var errs []error
	if !shortSHARE.MatchString(a.CommitSHA) {
		errs = append(errs, fmt.Errorf("commit_sha %q must be 7 lower-case hex characters (a short git SHA)", a.CommitSHA))
	}
	switch {
	case a.Image == "":
		errs = append(errs, errors.New("image is required (the repository reference, e.g. registry/demo-app)"))
	case strings.Contains(a.Image, "@") || strings.HasSuffix(a.Image, ":"+a.CommitSHA):
		errs = append(errs, fmt.Errorf("image %q must not carry a tag or digest: those live in commit_sha and digest", a.Image))
	case !imageRE.MatchString(a.Image):
		errs = append(errs, fmt.Errorf("image %q is not a repository reference ([host[:port]/]path, lower-case)", a.Image))
	}
	if !digestRE.MatchString(a.Digest) {
		errs = append(errs, fmt.Errorf("digest %q must be sha256:<64 lower-case hex>", a.Digest))
	}
	if !versionRE.MatchString(a.BuildVersion) {
		errs = append(errs, fmt.Errorf("build_version %q must be 1-128 characters of letters, digits, '.', '_', '+', '-'", a.BuildVersion))
	}
	if a.Created.IsZero() {
		errs = append(errs, errors.New("created is required (RFC 3339 time)"))
	}
	return errors.Join(errs...)
}

// Parse decodes and validates artifact JSON. Unknown fields are rejected so a typo cannot silently drop data.
func Parse(raw []byte) (*Artifact, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("artifact is empty: the build stage must write it (release artifact write)")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var a Artifact
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("malformed artifact JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed artifact JSON: trailing data after the object")
	}
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("invalid artifact: %w", err)
	}
	return &a, nil
}

// Read loads and validates the artifact at path.
func Read(path string) (*Artifact, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("artifact %s not found: run the build stage first or pass --artifact <path>", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read artifact %s: %w", path, err)
	}
	a, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", path, err)
	}
	return a, nil
}

// Marshal validates the artifact and returns its canonical indented JSON with a trailing newline.
func (a *Artifact) Marshal() ([]byte, error) {
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("refusing to write an invalid artifact: %w", err)
	}
	c := *a
	c.Created = c.Created.UTC().Truncate(time.Second)
	out, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Write validates the artifact and writes it atomically (temp file + rename) to path.
func Write(path string, a *Artifact) error {
	out, err := a.Marshal()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory for artifact %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".artifact-*.json")
	if err != nil {
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	return nil
}
