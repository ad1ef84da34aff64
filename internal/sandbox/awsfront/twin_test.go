package awsfront_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/platformteam/delivery/internal/sandbox/awsfront"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/awsfronttest"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/ecrtoken"
	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
)

const (
	region     = awsfronttest.Region
	staging    = awsfronttest.Staging
	production = awsfronttest.Production
	repo       = "platformteam/delivery"
)

type twin struct {
	*awsfronttest.Twin
	front  *awsfront.Front
	url    string
	admins map[string]credentials.Credential
	issuer *oidc.Issuer
}

func TestMain(m *testing.M) {
	code := m.Run()
	awsfronttest.Stop()
	os.Exit(code)
}

func newTwin(t *testing.T) *twin {
	t.Helper()
	tw := awsfronttest.Get(t)
	return &twin{Twin: tw, front: tw.Front, url: tw.URL, admins: tw.Admins, issuer: tw.Issuer}
}

func (tw *twin) config(c credentials.Credential) aws.Config { return tw.Config(c) }

func (tw *twin) anonymous() aws.Config { return tw.Anonymous() }

func fromSTS(c *sts.AssumeRoleWithWebIdentityOutput) credentials.Credential {
	return credentials.Credential{AccessKeyID: aws.ToString(c.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(c.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(c.Credentials.SessionToken)}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func mustJSONDoc(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// seedCIRole makes an OIDC provider and a deploy role trusting one subject, with a resource-scoped policy.
func (tw *twin) seedCIRole(t *testing.T, account, roleName, subject string, statements []map[string]any) string {
	t.Helper()
	ctx := context.Background()
	client := iam.NewFromConfig(tw.config(tw.admins[account]))
	providerARN := fmt.Sprintf("arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com", account)
	if _, err := client.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(providerARN)}); err != nil {
		if _, err := client.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(oidc.GitHubIssuer),
			ClientIDList: []string{oidc.STSAudience}, ThumbprintList: []string{strings.Repeat("a", 40)}}); err != nil {
			t.Fatal(err)
		}
	}
	trust := mustJSONDoc(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{
		"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": map[string]any{"Federated": providerARN},
		"Condition": map[string]any{
			"StringEquals": map[string]any{"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
			"StringLike":   map[string]any{"token.actions.githubusercontent.com:sub": subject}}}}})
	out, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(roleName), PolicyName: aws.String("deploy"),
		PolicyDocument: aws.String(mustJSONDoc(map[string]any{"Version": "2012-10-17", "Statement": statements}))}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

func (tw *twin) token(t *testing.T, job oidc.Job) string {
	t.Helper()
	tok, err := tw.issuer.Mint(job.Claims(oidc.STSAudience), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var stagingJob = oidc.Job{Repository: repo, Event: "push", Ref: "refs/heads/main", Environment: "staging"}

func TestTwinAuthenticationAndWebIdentity(t *testing.T) {
	tw := newTwin(t)
	ctx := context.Background()

	// An admin key issued by moto at bootstrap is known; an invented key is refused as AWS does.
	who, err := sts.NewFromConfig(tw.config(tw.admins[staging])).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != staging || !strings.HasSuffix(aws.ToString(who.Arn), ":user/"+awsseed.AdminUser) {
		t.Fatalf("admin identity: %+v %v", who, err)
	}
	invented := credentials.Credential{AccessKeyID: "AKIAINVENTED00000000", SecretAccessKey: "x"}
	_, err = ecs.NewFromConfig(tw.config(invented)).ListClusters(ctx, &ecs.ListClustersInput{})
	if errorCode(err) != "UnrecognizedClientException" {
		t.Errorf("invented key: got %v, want UnrecognizedClientException", err)
	}

	svc := fmt.Sprintf("arn:aws:ecs:%s:%s:service/demo-staging/demo-app", region, staging)
	roleARN := tw.seedCIRole(t, staging, "demo-staging-ci-deploy", "repo:"+repo+":environment:staging", []map[string]any{
		{"Effect": "Allow", "Action": "ecs:DescribeServices", "Resource": svc},
	})
	anon := sts.NewFromConfig(tw.anonymous())

	// The subject the role trusts gets credentials in the role's account.
	out, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("gha-run"), WebIdentityToken: aws.String(tw.token(t, stagingJob))})
	if err != nil {
		t.Fatalf("trusted subject refused: %v", err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "repo:"+repo+":environment:staging" {
		t.Errorf("subject: %s", aws.ToString(out.SubjectFromWebIdentityToken))
	}
	session := fromSTS(out)
	who, err = sts.NewFromConfig(tw.config(session)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::"+staging+":assumed-role/demo-staging-ci-deploy/gha-run" {
		t.Fatalf("session identity: %+v %v", who, err)
	}

	// Identity policies are enforced with resource ARNs (moto alone would refuse the scoped allow).
	ecsClient := ecs.NewFromConfig(tw.config(session))
	_, err = ecsClient.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo-staging"), Services: []string{"demo-app"}})
	if errorCode(err) == "AccessDeniedException" {
		t.Errorf("the allowed service was refused: %v", err)
	}
	_, err = ecsClient.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo-production"), Services: []string{"demo-app"}})
	if errorCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "ecs:DescribeServices") {
		t.Errorf("another cluster's service: got %v, want AccessDeniedException naming ecs:DescribeServices", err)
	}
	_, err = ecsClient.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("demo-staging"), Service: aws.String("demo-app"), ForceNewDeployment: true})
	if errorCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "is not authorized to perform: ecs:UpdateService on resource: "+svc) {
		t.Errorf("an action the policy lacks: got %v", err)
	}

	// Subjects the role does not trust, and bad tokens, get AWS's answers.
	for name, tc := range map[string]struct {
		token, code string
	}{
		"pull request subject": {tw.token(t, oidc.Job{Repository: repo, Event: "pull_request", Ref: "refs/pull/1/merge"}), "AccessDenied"},
		"production subject":   {tw.token(t, oidc.Job{Repository: repo, Event: "push", Ref: "refs/heads/main", Environment: "production"}), "AccessDenied"},
		"forged token":         {forged(t), "InvalidIdentityToken"},
	} {
		_, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
			RoleSessionName: aws.String("gha-run"), WebIdentityToken: aws.String(tc.token)})
		if errorCode(err) != tc.code {
			t.Errorf("%s: got %v, want %s", name, err, tc.code)
		}
		if tc.code == "AccessDenied" && !strings.Contains(err.Error(), "Not authorized to perform sts:AssumeRoleWithWebIdentity") {
			t.Errorf("%s: message %v", name, err)
		}
	}
	// The account has no such provider: production has none.
	prodRole := fmt.Sprintf("arn:aws:iam::%s:role/demo-production-ci-deploy", production)
	_, err = anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(prodRole),
		RoleSessionName: aws.String("gha-run"), WebIdentityToken: aws.String(tw.token(t, stagingJob))})
	if errorCode(err) != "InvalidIdentityToken" || !strings.Contains(err.Error(), "No OpenIDConnect provider found") {
		t.Errorf("no provider in the account: %v", err)
	}
}

func forged(t *testing.T) string {
	other, err := oidc.LoadOrCreate(filepath.Join(t.TempDir(), "other.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := other.Mint(stagingJob.Claims(oidc.STSAudience), time.Now())
	return tok
}

func TestTwinAssumeRoleCrossAccount(t *testing.T) {
	tw := newTwin(t)
	ctx := context.Background()
	prodAdmin := iam.NewFromConfig(tw.config(tw.admins[production]))
	trust := mustJSONDoc(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{
		"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": "arn:aws:iam::" + staging + ":root"}}}})
	if _, err := prodAdmin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("promoter"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	// The staging admin's "*" policy allows sts:AssumeRole; the trust names staging: allowed.
	out, err := sts.NewFromConfig(tw.config(tw.admins[staging])).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + production + ":role/promoter"), RoleSessionName: aws.String("promote")})
	if err != nil {
		t.Fatalf("cross-account AssumeRole: %v", err)
	}
	c := credentials.Credential{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}
	who, err := sts.NewFromConfig(tw.config(c)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != production {
		t.Fatalf("the session is not in production: %+v %v", who, err)
	}
	// The role has no policy: everything is refused in production.
	_, err = ecs.NewFromConfig(tw.config(c)).ListClusters(ctx, &ecs.ListClustersInput{})
	if errorCode(err) != "AccessDeniedException" {
		t.Errorf("a role without policies listed clusters: %v", err)
	}
	// Production's admin is not trusted by a role trusting staging.
	_, err = sts.NewFromConfig(tw.config(tw.admins[production])).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + production + ":role/promoter"), RoleSessionName: aws.String("x1")})
	if errorCode(err) != "AccessDenied" {
		t.Errorf("an untrusted principal: %v", err)
	}
}

func TestTwinECRTokenAndCodeBuild(t *testing.T) {
	tw := newTwin(t)
	ctx := context.Background()
	out, err := ecr.NewFromConfig(tw.config(tw.admins[staging])).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(out.AuthorizationData) != 1 {
		t.Fatalf("GetAuthorizationToken: %+v %v", out, err)
	}
	d := out.AuthorizationData[0]
	if aws.ToString(d.ProxyEndpoint) != "http://127.0.0.1:5002" {
		t.Errorf("proxyEndpoint %s, want the staging twin registry", aws.ToString(d.ProxyEndpoint))
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	user, password, _ := strings.Cut(string(raw), ":")
	claims, err := tw.front.Tokens().Verify(password, time.Now())
	if user != ecrtoken.Username || err != nil || claims.Principal != tw.admins[staging].Principal {
		t.Errorf("token: user %q claims %+v err %v", user, claims, err)
	}
	if left := time.Until(aws.ToTime(d.ExpiresAt)); left < 11*time.Hour || left > 13*time.Hour {
		t.Errorf("expires in %s, want 12h", left)
	}

	// CodeBuild's container credentials: the trust policy's aws:SourceArn/SourceAccount decide.
	trust := mustJSONDoc(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{
		"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"Service": "codebuild.amazonaws.com"},
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": staging},
			"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:codebuild:" + region + ":" + staging + ":project/demo-staging-*"}}}}})
	if _, err := iam.NewFromConfig(tw.config(tw.admins[staging])).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("build"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	get := func(project string) (int, map[string]string) {
		u := tw.url + awsfront.PathCodeBuildCredentials + "?role=arn:aws:iam::" + staging + ":role/build&project=" + project
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, m := get("arn:aws:codebuild:" + region + ":" + staging + ":project/demo-staging-deploy")
	if status != http.StatusOK || m["AccessKeyId"] == "" {
		t.Fatalf("the project the role trusts: %d %v", status, m)
	}
	if _, ok := tw.front.Credentials().Lookup(m["AccessKeyId"]); !ok {
		t.Error("CodeBuild's credentials were not recorded")
	}
	if status, m := get("arn:aws:codebuild:" + region + ":" + production + ":project/demo-staging-deploy"); status != http.StatusForbidden || m["code"] != "AccessDenied" {
		t.Errorf("another account's project: %d %v", status, m)
	}
}

// kmsCall makes a signed KMS JSON call (the module does not carry the KMS SDK).
func (tw *twin) kmsCall(t *testing.T, c credentials.Credential, op string, in any, out any) (int, string) {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, tw.url+"/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "TrentService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken},
		req, fmt.Sprintf("%x", sum), "kms", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, string(data)
}

func TestTwinKMSSignDigestVerifiesWithThePublicKeyAlone(t *testing.T) {
	tw := newTwin(t)
	admin := tw.admins[staging]
	var created struct {
		KeyMetadata struct{ KeyId, Arn string }
	}
	if status, body := tw.kmsCall(t, admin, "CreateKey", map[string]string{"KeyUsage": "SIGN_VERIFY", "KeySpec": "ECC_NIST_P256"}, &created); status != 200 {
		t.Fatalf("CreateKey: %d %s", status, body)
	}
	var pub struct{ PublicKey string }
	if status, body := tw.kmsCall(t, admin, "GetPublicKey", map[string]string{"KeyId": created.KeyMetadata.KeyId}, &pub); status != 200 {
		t.Fatalf("GetPublicKey: %d %s", status, body)
	}
	der, _ := base64.StdEncoding.DecodeString(pub.PublicKey)
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("sha256:0123 the image digest cosign signs"))
	for _, mt := range []string{"DIGEST", "RAW"} {
		msg := digest[:]
		if mt == "RAW" {
			msg = []byte("a raw message")
		}
		var signed struct{ Signature string }
		if status, body := tw.kmsCall(t, admin, "Sign", map[string]string{"KeyId": created.KeyMetadata.Arn, "Message": base64.StdEncoding.EncodeToString(msg),
			"MessageType": mt, "SigningAlgorithm": "ECDSA_SHA_256"}, &signed); status != 200 {
			t.Fatalf("Sign %s: %d %s", mt, status, body)
		}
		sig, _ := base64.StdEncoding.DecodeString(signed.Signature)
		want := msg
		if mt == "RAW" {
			h := sha256.Sum256(msg)
			want = h[:]
		}
		if !ecdsa.VerifyASN1(key.(*ecdsa.PublicKey), want, sig) {
			t.Errorf("MessageType=%s: the signature does not verify with the public key alone", mt)
		}
	}
	if status, body := tw.kmsCall(t, admin, "Sign", map[string]string{"KeyId": created.KeyMetadata.Arn, "Message": base64.StdEncoding.EncodeToString([]byte("short")),
		"MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"}, nil); status != 400 || !strings.Contains(body, "Digest is invalid length") {
		t.Errorf("a digest of the wrong length: %d %s", status, body)
	}
	// Production's admin cannot use staging's key: it is not in its account.
	if status, _ := tw.kmsCall(t, tw.admins[production], "Sign", map[string]string{"KeyId": created.KeyMetadata.KeyId, "Message": base64.StdEncoding.EncodeToString(digest[:]),
		"MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"}, nil); status == 200 {
		t.Error("another account signed with staging's key")
	}
}

func TestTwinFaultsAndCounters(t *testing.T) {
	tw := newTwin(t)
	ctx := context.Background()
	ctl := control.NewClient(tw.url)
	client := ecs.NewFromConfig(tw.config(tw.admins[staging]))
	if err := ctl.ResetRequests(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.AddFault(ctx, control.Fault{Service: "ecs", Operation: "ListClusters", Kind: control.Throttle, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ListClusters(ctx, &ecs.ListClustersInput{}); errorCode(err) != "ThrottlingException" {
		t.Errorf("throttle fault: %v", err)
	}
	if _, err := client.ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
		t.Errorf("a count-1 fault hit twice: %v", err)
	}
	if _, err := ctl.AddFault(ctx, control.Fault{Service: "ecs", Operation: "*", Account: staging, Kind: control.ServerError, Status: 503}); err != nil {
		t.Fatal(err)
	}
	_, err := client.ListClusters(ctx, &ecs.ListClustersInput{})
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Errorf("5xx fault: %v", err)
	}
	// Another account is not affected by the staging fault.
	if _, err := ecs.NewFromConfig(tw.config(tw.admins[production])).ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
		t.Errorf("a staging fault hit production: %v", err)
	}
	if err := ctl.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.AddFault(ctx, control.Fault{Service: "ecs", Operation: "CreateCluster", Kind: control.Delay, Delay: control.Duration{Duration: 700 * time.Millisecond}, Count: 1}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("delayed")}); err != nil {
		t.Fatalf("delayed call failed: %v", err)
	}
	if took := time.Since(began); took < 700*time.Millisecond {
		t.Errorf("delay fault: the call took %s", took)
	}
	if _, err := ctl.AddFault(ctx, control.Fault{Service: "ecs", Kind: "explode"}); err == nil {
		t.Error("an unknown fault kind was accepted")
	}
	got, err := ctl.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Of(staging, "ecs", "ListClusters"); n != 3 {
		t.Errorf("staging ListClusters counted %d, want 3 (%+v)", n, got.Counts)
	}
	if n := got.Mutating(staging, "ecs"); n != 1 {
		t.Errorf("staging mutating ECS calls: %d, want 1 (CreateCluster)", n)
	}
	if n := got.Mutating(production, ""); n != 0 {
		t.Errorf("production mutating calls: %d, want 0", n)
	}
}

// TestTwinECSTasksCarryTheResolvedDigest: moto runs no tasks; the front reports the tasks of each
// deployment with the digest the registry held when the deployment started.
func TestTwinECSTasksCarryTheResolvedDigest(t *testing.T) {
	tw := newTwin(t)
	ctx := context.Background()
	img, _ := random.Image(128, 1)
	want, _ := img.Digest()
	// Push into the backend under the staging namespace, where the staging registry front keeps it.
	backend := tw.RegistryBackend
	ref, err := name.ParseReference(backend+"/"+staging+"/tasks-app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	client := ecs.NewFromConfig(tw.config(tw.admins[staging]))
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("tasks")}); err != nil {
		t.Fatal(err)
	}
	td, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("tasks-app"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("127.0.0.1:5002/tasks-app:v1"), Memory: aws.Int32(128)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("tasks"), ServiceName: aws.String("tasks-app"),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("tasks"), ServiceName: aws.String("tasks-app")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.TaskArns) == 0 {
		t.Fatal("the service reports no tasks")
	}
	desc, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("tasks"), Tasks: list.TaskArns})
	if err != nil || len(desc.Tasks) != len(list.TaskArns) {
		t.Fatalf("DescribeTasks: %v %+v", err, desc)
	}
	for _, task := range desc.Tasks {
		if got := aws.ToString(task.Containers[0].ImageDigest); got != want.String() {
			t.Errorf("task %s reports imageDigest %q, want %s", aws.ToString(task.TaskArn), got, want)
		}
		if aws.ToString(task.LastStatus) != "RUNNING" || !strings.Contains(aws.ToString(task.TaskArn), ":task/tasks/") {
			t.Errorf("task: %s %s", aws.ToString(task.LastStatus), aws.ToString(task.TaskArn))
		}
	}
	// Another account sees none of it.
	if _, err := ecs.NewFromConfig(tw.config(tw.admins[production])).ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("tasks")}); err == nil {
		t.Error("production listed staging's cluster")
	}
}

// TestTwinKMSKeyPoliciesAndCrossAccountPublicKeys: a signing key's policy decides with the caller's
// identity policies, with KMS's condition keys (aliases, algorithm, message type): the signer role signs
// digests only, the account's administrator cannot sign at all, and another account's role reads the
// public key by alias ARN only when both the key policy and its own policies allow it.
func TestTwinKMSKeyPoliciesAndCrossAccountPublicKeys(t *testing.T) {
	tw := newTwin(t)
	ctx := context.Background()
	alias := "alias/kms-policy-it-signing"
	signerARN := fmt.Sprintf("arn:aws:iam::%s:role/kms-policy-it-signer", staging)
	readerARN := fmt.Sprintf("arn:aws:iam::%s:role/kms-policy-it-reader", production)
	keyPolicy := mustJSONDoc(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{
		{"Sid": "KeyAdministration", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + staging + ":root"},
			"Action": []string{"kms:Describe*", "kms:Get*", "kms:List*", "kms:CreateAlias"}, "Resource": "*"},
		{"Sid": "SignImages", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + staging + ":root"}, "Action": "kms:Sign", "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalArn": signerARN, "kms:SigningAlgorithm": "ECDSA_SHA_256", "kms:MessageType": "DIGEST"}}},
		{"Sid": "VerifyImages", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + production + ":root"}, "Action": []string{"kms:DescribeKey", "kms:GetPublicKey"}, "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalArn": readerARN}}},
	}})
	var created struct {
		KeyMetadata struct{ KeyId, Arn string }
	}
	if status, body := tw.kmsCall(t, tw.admins[staging], "CreateKey", map[string]string{"KeyUsage": "SIGN_VERIFY", "KeySpec": "ECC_NIST_P256", "Policy": keyPolicy}, &created); status != 200 {
		t.Fatalf("CreateKey: %d %s", status, body)
	}
	if status, body := tw.kmsCall(t, tw.admins[staging], "CreateAlias", map[string]string{"AliasName": alias, "TargetKeyId": created.KeyMetadata.KeyId}, nil); status != 200 {
		t.Fatalf("CreateAlias: %d %s", status, body)
	}
	keys := fmt.Sprintf("arn:aws:kms:%s:%s:key/*", region, staging)
	tw.seedCIRole(t, staging, "kms-policy-it-signer", "repo:"+repo+":environment:staging", []map[string]any{
		{"Effect": "Allow", "Action": "kms:Sign", "Resource": keys, "Condition": map[string]any{"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": alias}}}})
	tw.seedCIRole(t, production, "kms-policy-it-reader", "repo:"+repo+":environment:production", []map[string]any{
		{"Effect": "Allow", "Action": []string{"kms:DescribeKey", "kms:GetPublicKey"}, "Resource": keys, "Condition": map[string]any{"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": alias}}}})
	tw.seedCIRole(t, production, "kms-policy-it-other", "repo:"+repo+":environment:production", []map[string]any{
		{"Effect": "Allow", "Action": []string{"kms:DescribeKey", "kms:GetPublicKey"}, "Resource": keys}})
	assume := func(roleARN string, job oidc.Job) credentials.Credential {
		out, err := sts.NewFromConfig(tw.anonymous()).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
			RoleSessionName: aws.String("it"), WebIdentityToken: aws.String(tw.token(t, job))})
		if err != nil {
			t.Fatalf("assume %s: %v", roleARN, err)
		}
		return fromSTS(out)
	}
	prodJob := oidc.Job{Repository: repo, Event: "push", Ref: "refs/heads/main", Environment: "production"}
	signer, reader := assume(signerARN, stagingJob), assume(readerARN, prodJob)
	other := assume(fmt.Sprintf("arn:aws:iam::%s:role/kms-policy-it-other", production), prodJob)

	digest := sha256.Sum256([]byte("an image digest"))
	sign := func(c credentials.Credential, keyID, messageType string) (int, string) {
		return tw.kmsCall(t, c, "Sign", map[string]string{"KeyId": keyID, "Message": base64.StdEncoding.EncodeToString(digest[:]),
			"MessageType": messageType, "SigningAlgorithm": "ECDSA_SHA_256"}, nil)
	}
	if status, body := sign(signer, alias, "DIGEST"); status != 200 {
		t.Errorf("the signer role signing a digest by alias: %d %s", status, body)
	}
	if status, body := sign(signer, alias, "RAW"); status != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("the signer role signing a raw message: %d %s (the conditions allow digests only)", status, body)
	}
	if status, body := sign(tw.admins[staging], created.KeyMetadata.Arn, "DIGEST"); status != 403 || !strings.Contains(body, "no resource-based policy allows the kms:Sign action") {
		t.Errorf("the account's administrator signing: %d %s (the key policy grants signing to the signer role only)", status, body)
	}

	aliasARN := fmt.Sprintf("arn:aws:kms:%s:%s:%s", region, staging, alias)
	var own, cross struct{ PublicKey, KeyId string }
	if status, body := tw.kmsCall(t, tw.admins[staging], "GetPublicKey", map[string]string{"KeyId": alias}, &own); status != 200 {
		t.Fatalf("GetPublicKey in the key's account: %d %s", status, body)
	}
	if status, body := tw.kmsCall(t, reader, "GetPublicKey", map[string]string{"KeyId": aliasARN}, &cross); status != 200 || cross.PublicKey != own.PublicKey || cross.KeyId != created.KeyMetadata.Arn {
		t.Errorf("production's reader, by alias ARN: %d %s (want staging's key %s)", status, body, created.KeyMetadata.Arn)
	}
	if status, _ := tw.kmsCall(t, reader, "GetPublicKey", map[string]string{"KeyId": alias}, nil); status == 200 {
		t.Error("an alias name resolved in another account: KMS looks it up in the caller's account")
	}
	if status, body := tw.kmsCall(t, other, "GetPublicKey", map[string]string{"KeyId": aliasARN}, nil); status != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("a production role the key policy does not name: %d %s", status, body)
	}

	// DescribeKey (cosign's awskms:// verifier asks it before GetPublicKey) is decided the same way and
	// answered from the key's own account.
	var described struct {
		KeyMetadata struct{ Arn, KeyUsage, KeySpec string }
	}
	if status, body := tw.kmsCall(t, reader, "DescribeKey", map[string]string{"KeyId": aliasARN}, &described); status != 200 ||
		described.KeyMetadata.Arn != created.KeyMetadata.Arn || described.KeyMetadata.KeyUsage != "SIGN_VERIFY" || described.KeyMetadata.KeySpec != "ECC_NIST_P256" {
		t.Errorf("production's reader describing staging's key by alias ARN: %d %s (want %s, SIGN_VERIFY, ECC_NIST_P256)", status, body, created.KeyMetadata.Arn)
	}
	if status, body := tw.kmsCall(t, tw.admins[staging], "DescribeKey", map[string]string{"KeyId": alias}, nil); status != 200 {
		t.Errorf("staging's administrator describing its key by alias: %d %s", status, body)
	}
	if status, body := tw.kmsCall(t, other, "DescribeKey", map[string]string{"KeyId": aliasARN}, nil); status != 403 || !strings.Contains(body, "no resource-based policy allows the kms:DescribeKey action") {
		t.Errorf("DescribeKey by a production role the key policy does not name: %d %s", status, body)
	}
	if status, body := tw.kmsCall(t, signer, "DescribeKey", map[string]string{"KeyId": alias}, nil); status != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("DescribeKey by the signer role, which its own policies do not allow: %d %s", status, body)
	}
}
