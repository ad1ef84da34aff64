package awsseed_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/awsfronttest"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/pkg/environment"
)

func TestMain(m *testing.M) {
	code := m.Run()
	awsfronttest.Stop()
	os.Exit(code)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func seed(t *testing.T, tw *awsfronttest.Twin, root, name string, port string) awsseed.Seeded {
	t.Helper()
	env, err := environment.Load(root, name)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := iampolicy.Load(root, name)
	if err != nil {
		t.Fatal(err)
	}
	done, err := awsseed.Seed(context.Background(), awsseed.Target{Root: root, Env: env, AWS: tw.Admin(env.AccountID), Identities: ids,
		Image:             "127.0.0.1:" + port + "/" + env.Image.Repository + ":" + awsseed.BootstrapTag,
		PushImage:         tw.RegistryBackend + "/" + env.AccountID + "/" + env.Image.Repository + ":" + awsseed.BootstrapTag,
		KubernetesVersion: "1.37", DesiredCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	return done
}

// TestSeedTwinAccounts seeds staging and production from their own environments and checks what the
// pipeline relies on: the CI roles as the templates render them (assumable by the job subject they
// trust), the names the app reads, the repository policy for promotion, and that a second seed changes
// nothing while a drifted role is converged back.
func TestSeedTwinAccounts(t *testing.T) {
	tw := awsfronttest.Get(t)
	root := repoRoot(t)
	ctx := context.Background()
	first := seed(t, tw, root, "staging", "5002")
	seed(t, tw, root, "production", "5003")
	for _, want := range []string{"iam-oidc-provider", "iam-role demo-staging-ci-deploy", "secretsmanager-secret demo-app/staging/app-auth-token",
		"ecr-repository-policy demo-app", "image " + tw.RegistryBackend + "/222222222222/demo-app:bootstrap", "ecs-service demo-staging/demo-app",
		"kms-signing-key alias/demo-app-staging-signing"} {
		found := false
		for _, s := range first {
			found = found || strings.HasPrefix(s, want)
		}
		if !found {
			t.Errorf("the first seed did not create %q: %v", want, first)
		}
	}
	if again := seed(t, tw, root, "staging", "5002"); len(again) != 0 {
		t.Errorf("a second seed changed: %v", again)
	}

	// The app's token is the secret the app reads as APP_AUTH_TOKEN.
	td, err := ecs.NewFromConfig(tw.Admin(awsfronttest.Staging)).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("demo-app")})
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, s := range td.TaskDefinition.ContainerDefinitions[0].Secrets {
		secrets = append(secrets, aws.ToString(s.Name)+"="+aws.ToString(s.ValueFrom))
	}
	if !strings.Contains(strings.Join(secrets, " "), "APP_AUTH_TOKEN=arn:aws:secretsmanager:ap-southeast-2:222222222222:secret:demo-app/staging/app-auth-token") {
		t.Errorf("task definition secrets: %v", secrets)
	}

	// The staging deploy job assumes the deploy role rendered from the templates, in staging.
	ids, _ := iampolicy.Load(root, "staging")
	deploy, _ := ids.Role(iampolicy.Deploy)
	job := oidc.Job{Repository: ids.GitHubRepository, Event: "push", Ref: "refs/heads/main", Environment: deploy.GitHubEnvironment}
	out, err := sts.NewFromConfig(tw.Anonymous()).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(deploy.ARN),
		RoleSessionName: aws.String("seed-test"), WebIdentityToken: aws.String(tw.Token(t, job))})
	if err != nil {
		t.Fatalf("the deploy job could not assume %s: %v", deploy.ARN, err)
	}
	session := tw.Config(credentials.Credential{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)})
	if _, err := ecs.NewFromConfig(session).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo-staging"), Services: []string{"demo-app"}}); err != nil {
		t.Errorf("the deploy role cannot describe its service: %v", err)
	}

	// Production's deploy role reads staging's repository (promotion) through the repository policy.
	prodIDs, _ := iampolicy.Load(root, "production")
	prodDeploy, _ := prodIDs.Role(iampolicy.Deploy)
	prodJob := oidc.Job{Repository: prodIDs.GitHubRepository, Event: "push", Ref: "refs/heads/main", Environment: prodDeploy.GitHubEnvironment}
	out, err = sts.NewFromConfig(tw.Anonymous()).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(prodDeploy.ARN),
		RoleSessionName: aws.String("seed-test"), WebIdentityToken: aws.String(tw.Token(t, prodJob))})
	if err != nil {
		t.Fatal(err)
	}
	prod := tw.Config(credentials.Credential{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)})
	if _, err := ecr.NewFromConfig(prod).DescribeImages(ctx, &ecr.DescribeImagesInput{RegistryId: aws.String(awsfronttest.Staging), RepositoryName: aws.String("demo-app")}); err != nil {
		t.Errorf("production's deploy role cannot read staging's repository: %v", err)
	}

	// The signing keys with their rendered key policies: staging's deploy role signs digests with its
	// key (and only digests); production's deploy role reads staging's public key across accounts, by the
	// alias ARN production's delivery.yaml trusts; staging's administrator cannot sign.
	digest := sha256.Sum256([]byte("sha256:an image"))
	signIn := func(cfg aws.Config, messageType kmstypes.MessageType) error {
		_, err := kms.NewFromConfig(cfg).Sign(ctx, &kms.SignInput{KeyId: aws.String("alias/demo-app-staging-signing"), Message: digest[:],
			MessageType: messageType, SigningAlgorithm: kmstypes.SigningAlgorithmSpecEcdsaSha256})
		return err
	}
	if err := signIn(session, kmstypes.MessageTypeDigest); err != nil {
		t.Errorf("staging's deploy role cannot sign a digest with its key: %v", err)
	}
	if err := signIn(session, kmstypes.MessageTypeRaw); err == nil {
		t.Error("staging's deploy role signed a raw message")
	}
	if err := signIn(tw.Admin(awsfronttest.Staging), kmstypes.MessageTypeDigest); err == nil {
		t.Error("staging's administrator signed with the image signing key")
	}
	own, err := kms.NewFromConfig(session).GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String("alias/demo-app-staging-signing")})
	if err != nil {
		t.Fatalf("staging's deploy role cannot read its public key: %v", err)
	}
	cross, err := kms.NewFromConfig(prod).GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String("arn:aws:kms:ap-southeast-2:222222222222:alias/demo-app-staging-signing")})
	if err != nil || !bytes.Equal(cross.PublicKey, own.PublicKey) {
		t.Errorf("production's deploy role reading staging's public key: %v", err)
	}
	if _, err := kms.NewFromConfig(prod).GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String("alias/demo-app-production-signing")}); err != nil {
		t.Errorf("production's deploy role reading its own public key: %v", err)
	}
	// cosign's awskms:// verifier describes the key before reading its public half: the rendered policies
	// allow it across accounts too.
	described, err := kms.NewFromConfig(prod).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:ap-southeast-2:222222222222:alias/demo-app-staging-signing")})
	if err != nil || described.KeyMetadata.KeyUsage != kmstypes.KeyUsageTypeSignVerify || aws.ToString(described.KeyMetadata.Arn) != aws.ToString(own.KeyId) {
		t.Errorf("production's deploy role describing staging's signing key: %v", err)
	}
	if _, err := kms.NewFromConfig(session).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/demo-app-staging-signing")}); err != nil {
		t.Errorf("staging's deploy role describing its signing key: %v", err)
	}

	// A drifted role converges back: an extra inline policy goes, the trust is restored.
	admin := iam.NewFromConfig(tw.Admin(awsfronttest.Staging))
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(deploy.Name), PolicyName: aws.String("extra"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	converged := seed(t, tw, root, "staging", "5002")
	if strings.Join(converged, ",") != "iam-role-policy-removed "+deploy.Name+"/extra" {
		t.Errorf("converging a drifted role: %v", converged)
	}
}
