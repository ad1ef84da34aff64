package result_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/supplychain/result"
)

func TestDecisionSummaryAndRefusal(t *testing.T) {
	ok := result.Decision{Environment: "staging", Image: "r@sha256:a", Allowed: true, SignedBy: "arn:k",
		Provenance: &result.Provenance{Commit: "0123456"}, Checks: []result.Check{{Name: result.CheckSignature, OK: true}}}
	if ok.Err() != nil || ok.Summary() != "signed and attested (signed by arn:k, commit 0123456)" {
		t.Fatalf("allowed: %v %q", ok.Err(), ok.Summary())
	}
	bad := result.Decision{Environment: "production", Image: "r@sha256:b", Checks: []result.Check{
		{Name: result.CheckSignature, Detail: "unsigned: r:sha256-b.sig does not exist"}, {Name: result.CheckSBOM, OK: true}}}
	var refused *result.RefusedError
	if err := bad.Err(); !errors.As(err, &refused) || !strings.Contains(err.Error(), "deploy gate of production refused r@sha256:b") ||
		!strings.Contains(err.Error(), "  - signature: unsigned") || strings.Contains(err.Error(), "sbom") {
		t.Fatalf("refusal: %v", err)
	}
	if bad.Summary() != "signature: unsigned: r:sha256-b.sig does not exist" || bad.Check(result.CheckProvenance).Name != result.CheckProvenance {
		t.Fatalf("summary %q", bad.Summary())
	}
}

func TestAttestationLine(t *testing.T) {
	a := result.Attestation{Key: "arn:k", Signature: result.Present, Provenance: result.Present, SBOM: result.Present,
		SBOMSummary: result.SBOM{GoModules: 3}}
	if a.Changed() || a.Line() != "already signed and attested with arn:k (SBOM: 3 Go modules, 0 OS packages)" {
		t.Fatalf("%v %q", a.Changed(), a.Line())
	}
	a.SBOM = result.Created
	if !a.Changed() || !strings.HasPrefix(a.Line(), "signed, SLSA provenance and SBOM attached") {
		t.Fatalf("%q", a.Line())
	}
	s := result.SBOM{GoVersions: []string{"go1.26.0"}, Binaries: []result.GoBinary{{Path: "/a", GoVersion: "go1.25.0"}}}
	if s.GoVersionOf("/a") != "go1.25.0" || s.GoVersionOf("/b") != "go1.26.0" {
		t.Fatal("GoVersionOf")
	}
}
