package ekstwin

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/iampolicy"
)

// The access entries the staging Terraform declares are seeded through the access entries API, and
// the tokens of the roles they name authenticate with the groups those entries grant.
func TestSeedAccessEntriesFromTheTerraformDeclaration(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := iampolicy.Load(root, "staging")
	if err != nil {
		t.Fatalf("declare the staging identities: %v", err)
	}
	if ids.EKSCluster != "demo-staging" || len(ids.AccessEntries) == 0 {
		t.Fatalf("staging declares cluster %q with %d access entries", ids.EKSCluster, len(ids.AccessEntries))
	}
	entries, _ := OpenAccessEntries("")
	api := apiClient(t, entries, stagingAdminKey)
	creator := CreatorAccessEntry("arn:aws:iam::222222222222:role/sandbox-admin")
	all := []DeclaredEntry{creator}
	for _, e := range ids.AccessEntries {
		all = append(all, DeclaredEntry(e))
	}

	changes, err := SeedAccessEntries(context.Background(), api, "aws", ids.EKSCluster, all)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if len(changes) != 2*len(all) {
		t.Errorf("first seed made %d changes, want an entry and an association each:\n%s", len(changes), strings.Join(changes, "\n"))
	}
	again, err := SeedAccessEntries(context.Background(), api, "aws", ids.EKSCluster, all)
	if err != nil || len(again) != 0 {
		t.Errorf("second seed: %v, changes %v (want none)", err, again)
	}

	var deploy iampolicy.AccessEntry
	for _, e := range ids.AccessEntries {
		if e.Policy == "AmazonEKSEditPolicy" {
			deploy = e
		}
	}
	if deploy.PrincipalARN == "" {
		t.Fatalf("staging declares no deploy entry: %+v", ids.AccessEntries)
	}
	session := deployRoleSession
	role, _ := ParsePrincipal(deploy.PrincipalARN)
	session.Principal = "arn:aws:sts::222222222222:assumed-role/" + role.Name + "/gha"
	caller, err := verifier(t, session).Verify(token(t, session, "demo-staging"), "demo-staging")
	if err != nil {
		t.Fatal(err)
	}
	id, err := entries.Identify(stagingRef(), caller)
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(deploy.KubernetesGroups), "eks-access-policy:AmazonEKSEditPolicy:"+deploy.Namespaces[0])
	if !slices.Equal(id.Groups, want) {
		t.Errorf("the deploy role's groups = %v, want %v", id.Groups, want)
	}

	// A changed declaration (another namespace) is put back on the next seed.
	deploy.Namespaces = []string{"demo", "extra"}
	changes, err = SeedAccessEntries(context.Background(), api, "aws", ids.EKSCluster, []DeclaredEntry(nil))
	if err != nil || len(changes) != 0 {
		t.Errorf("seeding nothing: %v %v", changes, err)
	}
	changes, err = SeedAccessEntries(context.Background(), api, "aws", ids.EKSCluster, []DeclaredEntry{DeclaredEntry(deploy)})
	if err != nil || len(changes) != 1 || !strings.Contains(changes[0], "[demo extra]") {
		t.Errorf("reseed with another namespace: %v %v", changes, err)
	}
}
