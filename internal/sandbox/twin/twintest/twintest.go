// Package twintest holds what the twin-account tests of several packages share.
package twintest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/pkg/environment"
)

// The deploy policy line a test edits, and the action it removes from it.
const (
	deployLine   = `["ecs:DescribeServices", "ecs:ListServiceDeployments", "ecs:UpdateService"]`
	deployEdited = `["ecs:ListServiceDeployments", "ecs:UpdateService"]`
	// RemovedAction is the action the role from DeployRoleWithoutDescribe lacks.
	RemovedAction = "ecs:DescribeServices"
)

// DeployRoleWithoutDescribe renders env's deploy role from a copy of the repository's Terraform in
// which the deploy policy no longer grants RemovedAction, creates it under a unique name in the twin
// account (as that account's admin, from the bootstrap record in stateDir), and deletes it when the
// test ends. The role keeps the real trust policy, so a job assumes it as it assumes the real one.
func DeployRoleWithoutDescribe(t testing.TB, root, stateDir, awsEndpoint, env string, decl *environment.Twin) iampolicy.Role {
	t.Helper()
	copyRoot := t.TempDir()
	if err := iampolicy.CopySources(root, copyRoot); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(copyRoot, "modules", "iam", "policies", "deploy.json.tftpl")
	data, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(deployLine)) {
		t.Fatalf("%s no longer has the line %s: update twintest to remove another action", tmpl, deployLine)
	}
	if err := os.WriteFile(tmpl, bytes.Replace(data, []byte(deployLine), []byte(deployEdited), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	ids, err := iampolicy.Load(copyRoot, env)
	if err != nil {
		t.Fatal(err)
	}
	modified, ok := ids.Role(iampolicy.Deploy)
	if !ok {
		t.Fatalf("the copy renders no deploy role for %s", env)
	}
	role := *modified
	role.Name = sandboxtest.UniqueName("it-deploy-copy")
	role.ARN = strings.TrimSuffix(role.ARN, modified.Name) + role.Name
	admin := iam.NewFromConfig(AdminConfig(t, stateDir, awsEndpoint, decl))
	var seeded awsseed.Seeded
	if err := awsseed.SeedRole(context.Background(), admin, role, &seeded); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range role.Policies {
			_, _ = admin.DeleteRolePolicy(context.Background(), &iam.DeleteRolePolicyInput{RoleName: aws.String(role.Name), PolicyName: aws.String(p.Name)})
		}
		_, _ = admin.DeleteRole(context.Background(), &iam.DeleteRoleInput{RoleName: aws.String(role.Name)})
	})
	return role
}

// AdminConfig is the twin account's admin, from the bootstrap record in stateDir: what a test uses to
// set up or inspect an account, never what the pipeline runs as.
func AdminConfig(t testing.TB, stateDir, awsEndpoint string, decl *environment.Twin) aws.Config {
	t.Helper()
	b, ok, err := twin.ReadBootstrap(stateDir)
	if err != nil || !ok {
		t.Fatalf("the twin bootstrap record in %s: %v (ok=%v)", stateDir, err, ok)
	}
	key, ok := b.Admins[decl.AccountID]
	if !ok {
		t.Fatalf("the twin bootstrap record has no admin for account %s", decl.AccountID)
	}
	return twin.Config(awsEndpoint, decl.Region, aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey})
}
