package blueprintcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseReal(t *testing.T) []*Dir {
	t.Helper()
	dirs, err := ParseTree(root(t), "modules", "stacks")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 20 {
		t.Fatalf("parsed only %d Terraform directories; is the tree there?", len(dirs))
	}
	return dirs
}

func TestNoWildcardIAMPolicies(t *testing.T) {
	for _, p := range CheckIAM(parseReal(t)) {
		t.Error(p)
	}
}

func TestEveryBucketEncryptedVersionedPrivate(t *testing.T) {
	dirs := parseReal(t)
	buckets := 0
	for _, d := range dirs {
		buckets += len(d.Blocks("resource", "aws_s3_bucket"))
	}
	if buckets == 0 {
		t.Fatal("no aws_s3_bucket found: the check would pass vacuously")
	}
	for _, p := range CheckBuckets(dirs) {
		t.Error(p)
	}
	// Stacks get buckets only through modules/s3, so the controls cannot be forgotten.
	for _, d := range dirs {
		if strings.HasPrefix(d.Path, "stacks/") && len(d.Blocks("resource", "aws_s3_bucket")) > 0 {
			t.Errorf("%s creates aws_s3_bucket directly; use modules/s3", d.Path)
		}
	}
}

func TestNoSecretValuesInConfiguration(t *testing.T) {
	files, err := ValuesFiles(root(t))
	if err != nil {
		t.Fatal(err)
	}
	var tfvars, values int
	for _, f := range files {
		if strings.HasSuffix(f, ".tfvars") {
			tfvars++
		} else {
			values++
		}
	}
	if tfvars < 12 || values < 9 {
		t.Fatalf("found %d tfvars and %d values files; expected the environments' and the chart's", tfvars, values)
	}
	for _, p := range CheckSecretValues(root(t), files) {
		t.Error(p)
	}
}

// The checks must catch what they are for: run them on deliberately bad fixtures.

func TestCheckIAMCatchesWildcards(t *testing.T) {
	dirs, err := ParseTree("testdata", "bad-iam")
	if err != nil {
		t.Fatal(err)
	}
	got := CheckIAM(dirs)
	want := []string{
		`data.aws_iam_policy_document.admin: statement allows Action "*"`,
		`data.aws_iam_policy_document.not_action: statement allows NotAction`,
		`data.aws_iam_policy_document.dynamic_admin: statement allows Action "*"`,
		`policy object allows Action "*"`,
		`JSON policy allows Action "*"`,
		`managed policy AdministratorAccess`,
	}
	assertProblems(t, got, want)
	for _, p := range got {
		for _, fine := range []string{"deny_all", "kms_key", "scoped"} {
			if strings.Contains(p.Message, fine) {
				t.Errorf("false positive: %s", p)
			}
		}
	}
}

func TestCheckBucketsCatchesGaps(t *testing.T) {
	dirs, err := ParseTree("testdata", "bad-buckets")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"aws_s3_bucket.plain: no aws_s3_bucket_server_side_encryption_configuration",
		"aws_s3_bucket.plain: no aws_s3_bucket_versioning",
		"aws_s3_bucket.plain: no aws_s3_bucket_public_access_block",
		"aws_s3_bucket.plain: no aws_s3_bucket_ownership_controls",
		"aws_s3_bucket.aes: encryption is not SSE-KMS",
		"aws_s3_bucket.aes: versioning is not Enabled",
		"aws_s3_bucket.aes: public access block does not set restrict_public_buckets = true",
		"aws_s3_bucket.aes: object ownership is not BucketOwnerEnforced",
		"aws_s3_bucket.managed_key: SSE-KMS without kms_master_key_id",
	}
	got := CheckBuckets(dirs)
	assertProblems(t, got, want)
	for _, p := range got {
		if strings.Contains(p.Message, "aws_s3_bucket.good") {
			t.Errorf("false positive: %s", p)
		}
	}
}

func TestCheckSecretValuesCatchesLiterals(t *testing.T) {
	files := []string{filepath.Join("testdata", "secrets", "bad.tfvars"), filepath.Join("testdata", "secrets", "values-bad.yaml")}
	got := CheckSecretValues("testdata", files)
	want := []string{
		"db_password",
		"github_token",
		"value looks like an AWS access key id",
		"value looks like a private key",
		"env.APP_AUTH_TOKEN",
		"value looks like a password in a URL",
	}
	assertProblems(t, got, want)
	for _, p := range got {
		for _, fine := range []string{"secretStoreName", "remoteKey", "token_secret_arn", "app_secret_names", "envName"} {
			if strings.Contains(p.Message, fine) {
				t.Errorf("false positive: %s", p)
			}
		}
	}
}

func assertProblems(t *testing.T, got []Problem, want []string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, p := range got {
			found = found || strings.Contains(p.Message, w)
		}
		if !found {
			t.Errorf("no problem reported containing %q; got:\n%s", w, joinProblems(got))
		}
	}
	if len(got) > len(want)+1 {
		t.Errorf("more problems than expected:\n%s", joinProblems(got))
	}
}

func joinProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

func loadSchema(t *testing.T) *ProviderSchema {
	t.Helper()
	s, err := LoadProviderSchema(filepath.Join("testdata", "provider-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBlueprintMatchesProviderSchemas is the offline stand-in for `terraform validate`.
func TestBlueprintMatchesProviderSchemas(t *testing.T) {
	s := loadSchema(t)
	t.Logf("schemas from %v", s.ProviderPackages)
	for _, p := range CheckProviderSchema(parseReal(t), s) {
		t.Error(p)
	}
}

func TestCheckProviderSchemaCatchesMistakes(t *testing.T) {
	dirs, err := ParseTree("testdata", "bad-schema")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`aws_vpc: unsupported argument "enable_dns"`,
		`aws_vpc: unsupported argument "description"`,
		`aws_region has no attribute "nme"`,
		`aws_s3_bucket_versioning: "versioning_configuration" is a block`,
		`aws_eks_cluster.vpc_config: unsupported argument "subnets_ids"`,
		`aws_eks_cluster: unsupported block "encryption_configuration"`,
		`resource type "aws_not_a_thing" is not in the provider schema`,
		`aws_eks_cluster has no attribute "endpoints"`,
		`aws_iam_role: missing required argument "assume_role_policy"`,
		`aws_eks_cluster.vpc_config: missing required argument "subnet_ids"`,
	}
	assertProblems(t, CheckProviderSchema(dirs, loadSchema(t)), want)
}
