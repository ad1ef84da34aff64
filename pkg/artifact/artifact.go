// Package artifact defines artifact.json, the one contract between the build stage and the deploy
// stages, and the types it is made of: a Pinned image (parsed once on go-containerregistry's
// name.Digest) and a Commit (with the one reader of a checkout's git metadata).
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
//
// On the wire (artifact.json) it is {commit_sha, image, digest, build_version, created}: image is the
// repository without tag or digest, commit_sha the short SHA that is also the image's tag.
type Artifact struct {
	// Commit is the commit the image was built from; the file keeps its short form.
	Commit Commit
	// Image is the pushed image, pinned by digest, tagged with the short commit SHA.
	Image Pinned
	// BuildVersion is the version string baked into the deploys (buildVersion in Helm, the tag in ECS).
	BuildVersion string
	// Created is when the build produced the artifact (UTC, whole seconds).
	Created time.Time
}

// wire is artifact.json as stored; every field is checked by validate.
type wire struct {
	CommitSHA    string    `json:"commit_sha"`
	Image        string    `json:"image"`
	Digest       string    `json:"digest"`
	BuildVersion string    `json:"build_version"`
	Created      time.Time `json:"created"`
}

var versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)

// New is the artifact of image (a repository and digest) built from commit, created now: the build
// version is the short SHA and the image is tagged with it.
func New(commit Commit, image Pinned, created time.Time) (*Artifact, error) {
	a := &Artifact{Commit: commit, Image: image, BuildVersion: commit.Short(), Created: created.UTC().Truncate(time.Second)}
	if image.Tag() == "" && !commit.IsZero() {
		tagged, err := image.WithTag(commit.Short())
		if err != nil {
			return nil, err
		}
		a.Image = tagged
	}
	if _, err := a.toWire(); err != nil {
		return nil, err
	}
	return a, nil
}

// Ref is the immutable reference deploys use: repository@digest.
func (a *Artifact) Ref() string { return a.Image.String() }

// Digest is the image's manifest digest.
func (a *Artifact) Digest() string { return a.Image.Digest() }

// Repository is <registry>/<path> of the image.
func (a *Artifact) Repository() string { return a.Image.Repository() }

// Tag is the tag the build pushed next to the digest (the short commit SHA).
func (a *Artifact) Tag() string { return a.Commit.Short() }

// Promoted is the same build in another repository (same digest, commit, version and creation time).
func (a *Artifact) Promoted(repository string) (*Artifact, error) {
	img, err := a.Image.In(repository)
	if err != nil {
		return nil, err
	}
	b := *a
	b.Image = img
	return &b, nil
}

// validate reports every problem of a wire document at once, naming the JSON field, and returns the
// typed artifact when there is none.
func (w wire) validate() (*Artifact, error) {
	var errs []error
	commit, err := ParseCommit(w.CommitSHA)
	if err != nil || len(w.CommitSHA) != ShortLength || strings.ToLower(w.CommitSHA) != w.CommitSHA {
		errs = append(errs, fmt.Errorf("commit_sha %q must be 7 lower-case hex characters (a short git SHA)", w.CommitSHA))
	}
	digestErr := CheckDigest(w.Digest)
	if digestErr != nil {
		errs = append(errs, digestErr)
	}
	var img Pinned
	switch {
	case w.Image == "":
		errs = append(errs, errors.New("image is required (the repository reference, e.g. registry/demo-app)"))
	case strings.Contains(w.Image, "@") || (w.CommitSHA != "" && strings.HasSuffix(w.Image, ":"+w.CommitSHA)):
		errs = append(errs, fmt.Errorf("image %q must not carry a tag or digest: those live in commit_sha and digest", w.Image))
	default:
		probe := w.Digest
		if digestErr != nil { // check the repository on its own
			probe = "sha256:" + strings.Repeat("0", 64)
		}
		if img, err = NewPinned(w.Image, probe); err != nil {
			errs = append(errs, fmt.Errorf("image: %w", err))
		}
	}
	if !versionRE.MatchString(w.BuildVersion) {
		errs = append(errs, fmt.Errorf("build_version %q must be 1-128 characters of letters, digits, '.', '_', '+', '-'", w.BuildVersion))
	}
	if w.Created.IsZero() {
		errs = append(errs, errors.New("created is required (RFC 3339 time)"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if img, err = img.WithTag(commit.Short()); err != nil {
		return nil, fmt.Errorf("commit_sha: %w", err)
	}
	return &Artifact{Commit: commit, Image: img, BuildVersion: w.BuildVersion, Created: w.Created.UTC()}, nil
}

func (a *Artifact) toWire() (wire, error) {
	w := wire{CommitSHA: a.Commit.Short(), BuildVersion: a.BuildVersion, Created: a.Created.UTC().Truncate(time.Second)}
	if !a.Image.IsZero() {
		w.Image, w.Digest = a.Image.Repository(), a.Image.Digest()
	}
	if _, err := w.validate(); err != nil {
		return wire{}, err
	}
	return w, nil
}

// Validate reports every problem in the artifact at once, naming the JSON field.
func (a *Artifact) Validate() error {
	_, err := a.toWire()
	return err
}

// MarshalJSON writes the wire shape (an invalid artifact is refused).
func (a Artifact) MarshalJSON() ([]byte, error) {
	w, err := a.toWire()
	if err != nil {
		return nil, fmt.Errorf("refusing to write an invalid artifact: %w", err)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the wire shape strictly: unknown fields are rejected and every field is checked.
func (a *Artifact) UnmarshalJSON(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var w wire
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("malformed artifact JSON: %w", err)
	}
	got, err := w.validate()
	if err != nil {
		return fmt.Errorf("invalid artifact: %w", err)
	}
	*a = *got
	return nil
}

// Parse decodes and validates artifact JSON. Unknown fields are rejected so a typo cannot silently drop data.
func Parse(raw []byte) (*Artifact, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("artifact is empty: the build stage must write it (dagger call publish, or release image push)")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var a Artifact
	if err := dec.Decode(&a); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("malformed artifact JSON: %w", err)
		}
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed artifact JSON: trailing data after the object")
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
	w, err := a.toWire()
	if err != nil {
		return nil, fmt.Errorf("refusing to write an invalid artifact: %w", err)
	}
	out, err := json.MarshalIndent(w, "", "  ")
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
