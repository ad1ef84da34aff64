// Package result holds what the supply chain reports: what publish attached to a digest (Attestation)
// and what the deploy gate decided about one (Decision). They cross the boundary between the release
// engine and the Dagger module as JSON, so this package stays a leaf: no AWS, registry or SBOM library
// dependencies.
package result

import (
	"fmt"
	"strings"
	"time"

	"github.com/platformteam/delivery/pkg/supplychain/provenance"
)

// Outcome of one piece of evidence at publish: made now, or found made (a re-run of the same commit).
type Outcome string

// Outcomes.
const (
	Created Outcome = "created"
	Present Outcome = "present"
)

// Attestation says what publish attached to a digest.
type Attestation struct {
	Image string `json:"image"`
	// Key is the KMS key ARN that signed.
	Key        string  `json:"key"`
	Signature  Outcome `json:"signature"`
	Provenance Outcome `json:"provenance"`
	SBOM       Outcome `json:"sbom"`
	// SBOMSummary counts what the SBOM lists.
	SBOMSummary SBOM `json:"sbom_summary"`
	// Timings of the parts (the benchmark reads them).
	Timings Timings `json:"timings"`
}

// Changed reports whether anything was written.
func (a Attestation) Changed() bool {
	return a.Signature == Created || a.Provenance == Created || a.SBOM == Created
}

// Line is a one-line summary for reports.
func (a Attestation) Line() string {
	what := "signed, SLSA provenance and SBOM attached"
	if !a.Changed() {
		what = "already signed and attested"
	}
	return fmt.Sprintf("%s with %s (SBOM: %d Go modules, %d OS packages)", what, a.Key, a.SBOMSummary.GoModules, a.SBOMSummary.OSPackages)
}

// Timings are wall times of the parts of an attestation.
type Timings struct {
	// Check is reading what already exists (the .sig and .att tags).
	Check time.Duration `json:"check"`
	// SBOM is reading the image's layers and writing the BOM.
	SBOM time.Duration `json:"sbom"`
	// Sign is the KMS signatures (image, provenance, SBOM).
	Sign time.Duration `json:"sign"`
	// Store is pushing the .sig and .att tags.
	Store time.Duration `json:"store"`
}

// Total is the sum of the parts.
func (t Timings) Total() time.Duration { return t.Check + t.SBOM + t.Sign + t.Store }

// SBOM counts what an SBOM lists (for reports).
type SBOM struct {
	GoBinaries int `json:"go_binaries"`
	GoModules  int `json:"go_modules"`
	OSPackages int `json:"os_packages"`
	// OS is the distribution from /etc/os-release ("" with none, e.g. on scratch).
	OS string `json:"os,omitempty"`
	// GoVersions are the toolchains that built the binaries (e.g. go1.26.0), sorted, unique.
	GoVersions []string `json:"go_versions,omitempty"`
	// Binaries are the Go binaries found, by path.
	Binaries []GoBinary `json:"binaries,omitempty"`
}

// GoBinary is one Go executable in the image.
type GoBinary struct {
	Path       string `json:"path"`
	GoVersion  string `json:"go_version"`
	MainModule string `json:"main_module"`
}

// GoVersionOf returns the Go version of the binary at path (the image's entrypoint), else the one
// version all binaries share; "" when neither identifies one.
func (s SBOM) GoVersionOf(path string) string {
	for _, b := range s.Binaries {
		if b.Path == path {
			return b.GoVersion
		}
	}
	if len(s.GoVersions) == 1 {
		return s.GoVersions[0]
	}
	return ""
}

// The gate's checks, in the order it reports them.
const (
	CheckSignature  = "signature"
	CheckProvenance = "provenance"
	CheckSBOM       = "sbom"
)

// Check is one verdict with the reason for it.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Provenance is what a verified provenance says.
type Provenance struct {
	Commit       string                 `json:"commit"`
	BuilderID    string                 `json:"builder_id"`
	DaggerEngine string                 `json:"dagger_engine,omitempty"`
	GoVersion    string                 `json:"go_version,omitempty"`
	BaseImages   []provenance.BaseImage `json:"base_images,omitempty"`
}

// Decision is the deploy gate's answer for one digest.
type Decision struct {
	Environment string `json:"environment"`
	Image       string `json:"image"`
	Allowed     bool   `json:"allowed"`
	// Checks are signature, provenance and sbom, each with its reason.
	Checks []Check `json:"checks"`
	// SignedBy names the trusted key that verified the signature.
	SignedBy   string      `json:"signed_by,omitempty"`
	Provenance *Provenance `json:"provenance,omitempty"`
	SBOM       *SBOM       `json:"sbom,omitempty"`
}

// Check returns the named check.
func (d Decision) Check(name string) Check {
	for _, c := range d.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{Name: name}
}

// Err is nil when the decision allows the deploy, else a *RefusedError.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return &RefusedError{Decision: d}
}

// Summary is one line: "signed and attested (signed by …, commit …)" or the failed checks.
func (d Decision) Summary() string {
	if d.Allowed {
		s := "signed and attested (signed by " + d.SignedBy
		if d.Provenance != nil {
			s += ", commit " + d.Provenance.Commit
		}
		return s + ")"
	}
	return strings.Join(d.reasons(), "; ")
}

func (d Decision) reasons() []string {
	var out []string
	for _, c := range d.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return out
}

// RefusedError is a deploy the gate refused; it lists every failed check.
type RefusedError struct{ Decision Decision }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("deploy gate of %s refused %s:\n  - %s\nnothing was changed; deploy only what the pipeline published and signed (publish or promote), see docs/supply-chain.md",
		e.Decision.Environment, e.Decision.Image, strings.Join(e.Decision.reasons(), "\n  - "))
}
