//go:build integration

package twin_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/sandbox/twin"
	"github.com/platformteam/delivery/internal/sandbox/twin/twintest"
	"github.com/platformteam/delivery/pkg/eksauth"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/image"
)

// repository is the GitHub repository the Terraform trusts (tfvars github_repository).
const repository = "platformteam/delivery"

type fixture struct {
	s        *sandboxtest.Sandbox
	root     string
	stateDir string
	ids      map[string]*iampolicy.Identities
	decl     map[string]*environment.Twin
}

func setup(t *testing.T) *fixture {
	t.Helper()
	s := sandboxtest.Env(t)
	f := &fixture{s: s, root: s.Layout.RepoRoot, stateDir: s.Layout.StateDir, ids: map[string]*iampolicy.Identities{}, decl: map[string]*environment.Twin{}}
	for _, env := range []string{"staging", "production"} {
		ids, err := iampolicy.Load(f.root, env)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[env] = ids
		d, err := environment.LoadTwin(f.stateDir, env)
		if err != nil {
			t.Fatalf("twin declaration of %s (written by sandbox up): %v", env, err)
		}
		f.decl[env] = d
	}
	return f
}

func job(env string) oidc.Job {
	return oidc.Job{Repository: repository, Event: "push", Ref: "refs/heads/main", Environment: env, SHA: "0123456789abcdef", RunID: "1"}
}

func (f *fixture) token(t *testing.T, j oidc.Job) string {
	t.Helper()
	tok, err := twin.Token(f.stateDir, j, time.Now())
	if err != nil {
		t.Fatalf("mint a token (the OIDC issuer key is written by sandbox up): %v", err)
	}
	return tok
}

func (f *fixture) role(t *testing.T, env string, p iampolicy.Purpose) *iampolicy.Role {
	t.Helper()
	r, ok := f.ids[env].Role(p)
	if !ok {
		t.Fatalf("environment %s declares no %s role", env, p)
	}
	return r
}

// assume gets the credentials of a role for a job, as configure-aws-credentials does.
func (f *fixture) assume(t *testing.T, env string, p iampolicy.Purpose, j oidc.Job) aws.Config {
	t.Helper()
	c, err := twin.AssumeRoleWithWebIdentity(context.Background(), f.s.AWSEndpoint, f.decl[env].Region, f.role(t, env, p).ARN, "it-"+string(p), f.token(t, j))
	if err != nil {
		t.Fatalf("the %s job could not assume the %s %s role: %v", j.Subject(), env, p, err)
	}
	return twin.Config(f.s.AWSEndpoint, f.decl[env].Region, c)
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestJobSubjectRoleMatrix: each CI job subject can assume exactly the roles whose trust names it, in
// its own account, as the identities declare them; other subjects (pull requests, the main ref,
// another repository) assume none.
func TestJobSubjectRoleMatrix(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	subjects := []oidc.Job{
		{Repository: repository, Event: "pull_request", Ref: "refs/pull/1/merge"},
		{Repository: repository, Event: "schedule", Ref: "refs/heads/main"},
		{Repository: "someone/else", Event: "push", Ref: "refs/heads/main", Environment: "staging"},
	}
	for _, env := range []string{"staging", "production"} {
		for _, g := range f.ids[env].GitHubEnvironments {
			subjects = append(subjects, oidc.Job{Repository: repository, Event: "push", Ref: "refs/heads/main", Environment: g.Name})
		}
	}
	for _, env := range []string{"staging", "production"} {
		for _, r := range f.ids[env].Roles {
			if len(r.Subjects) == 0 {
				continue // the CodeBuild role: no GitHub subject
			}
			for _, j := range subjects {
				trusted := false
				for _, s := range r.Subjects {
					trusted = trusted || s == j.Subject()
				}
				c, err := twin.AssumeRoleWithWebIdentity(ctx, f.s.AWSEndpoint, f.decl[env].Region, r.ARN, "matrix", f.token(t, j))
				switch {
				case trusted && err != nil:
					t.Errorf("%s may assume %s (its trust names it) but was refused: %v", j.Subject(), r.Name, err)
				case !trusted && err == nil:
					t.Errorf("%s assumed %s, whose trust does not name it", j.Subject(), r.Name)
				case !trusted && (code(err) != "AccessDenied" || !strings.Contains(err.Error(), "Not authorized to perform sts:AssumeRoleWithWebIdentity")):
					t.Errorf("%s → %s: refused with %v, want AWS's AccessDenied", j.Subject(), r.Name, err)
				case trusted:
					who, err := sts.NewFromConfig(twin.Config(f.s.AWSEndpoint, f.decl[env].Region, c)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
					if err != nil || aws.ToString(who.Account) != f.decl[env].AccountID || !strings.Contains(aws.ToString(who.Arn), ":assumed-role/"+r.Name+"/") {
						t.Errorf("%s as %s is %+v (%v), want a session of the role in %s", j.Subject(), r.Name, who, err, f.decl[env].AccountID)
					}
				}
			}
		}
	}
}

// TestRemovedPermissionIsDenied renders the deploy role from a copy of the Terraform templates with one
// action removed, seeds it next to the real one, and checks that the twin refuses exactly that action,
// naming it, while the real role (rendered from the unmodified templates) is allowed. Nothing changes.
func TestRemovedPermissionIsDenied(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	r := twintest.DeployRoleWithoutDescribe(t, f.root, f.stateDir, f.s.AWSEndpoint, "staging", f.decl["staging"])
	env, err := environment.Load(f.root, "staging")
	if err != nil {
		t.Fatal(err)
	}
	describe := &ecs.DescribeServicesInput{Cluster: aws.String(env.ECS.Cluster), Services: []string{env.ECS.Service}}

	real := ecs.NewFromConfig(f.assume(t, "staging", iampolicy.Deploy, job("staging")))
	if _, err := real.DescribeServices(ctx, describe); err != nil {
		t.Fatalf("the deploy role rendered from the real templates cannot describe its service: %v", err)
	}
	c, err := twin.AssumeRoleWithWebIdentity(ctx, f.s.AWSEndpoint, env.Region, r.ARN, "it-copy", f.token(t, job("staging")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ecs.NewFromConfig(twin.Config(f.s.AWSEndpoint, env.Region, c)).DescribeServices(ctx, describe)
	if code(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "is not authorized to perform: ecs:DescribeServices") {
		t.Fatalf("the role without ecs:DescribeServices: got %v, want AccessDeniedException naming ecs:DescribeServices", err)
	}
}

// TestImmutableTagPush: ECR login through GetAuthorizationToken (host from proxyEndpoint), a push, the
// same tag with another digest refused with ECR's error, the same digest accepted again.
func TestImmutableTagPush(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	cfg := f.assume(t, "staging", iampolicy.Deploy, job("staging"))
	reg, err := image.ECR(ctx, ecr.NewFromConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if reg.Host != f.decl["staging"].Registry {
		t.Errorf("proxyEndpoint host %s, want the staging registry %s", reg.Host, f.decl["staging"].Registry)
	}
	env, _ := environment.Load(f.root, "staging")
	tag, err := name.NewTag(reg.Host+"/"+env.Image.Repository+":"+sandboxtest.UniqueName("it-immutable"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := random.Image(512, 1)
	auth := remote.WithAuth(reg.Auth)
	if err := remote.Write(tag, first, auth, remote.WithContext(ctx)); err != nil {
		t.Fatalf("push with the deploy role's ECR login: %v", err)
	}
	err = remote.Write(tag, must(random.Image(512, 1)), auth, remote.WithContext(ctx))
	var te *transport.Error
	if !errors.As(err, &te) || len(te.Errors) == 0 || te.Errors[0].Code != "TAG_INVALID" || !strings.Contains(err.Error(), "repository is immutable") {
		t.Fatalf("moving an immutable tag: got %v, want ECR's TAG_INVALID", err)
	}
	raw, _ := first.RawManifest()
	mt, _ := first.MediaType()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+reg.Host+"/v2/"+env.Image.Repository+"/manifests/"+tag.TagStr(), bytes.NewReader(raw))
	req.Header.Set("Content-Type", string(mt))
	basic := reg.Auth.(*authn.Basic)
	req.SetBasicAuth(basic.Username, basic.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("the same digest pushed again: %s, want 201 Created", resp.Status)
	}
	got, err := remote.Head(tag, auth)
	want, _ := first.Digest()
	if err != nil || got.Digest != want {
		t.Errorf("after the refused push the tag is %v (%v), want %s", got, err, want)
	}
	// The production deploy role pulls it across accounts (the repository policy); the plan role cannot.
	prodReg, err := image.ECR(ctx, ecr.NewFromConfig(f.assume(t, "production", iampolicy.Deploy, job("production"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(tag, remote.WithAuth(prodReg.Auth)); err != nil {
		t.Errorf("production's deploy role cannot pull staging's image for promotion: %v", err)
	}
	// The plan role may not even log in (its read-only policy denies ecr:GetAuthorizationToken); if a
	// template grants the login, the pull must still be refused.
	planReg, err := image.ECR(ctx, ecr.NewFromConfig(f.assume(t, "production", iampolicy.Plan, job("production-plan"))))
	switch {
	case err != nil && !strings.Contains(err.Error(), "AccessDenied"):
		t.Fatalf("production's plan role: ECR login failed with %v, want AccessDenied or a login", err)
	case err == nil:
		if _, err := remote.Head(tag, remote.WithAuth(planReg.Auth)); err == nil {
			t.Error("production's plan role pulled staging's image")
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestTasksReportTheDeployedDigest: the seeded staging service's tasks carry the digest of its image.
func TestTasksReportTheDeployedDigest(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	env, _ := environment.Load(f.root, "staging")
	client := ecs.NewFromConfig(f.assume(t, "staging", iampolicy.Deploy, job("staging")))
	list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(env.ECS.Cluster), ServiceName: aws.String(env.ECS.Service)})
	if err != nil || len(list.TaskArns) == 0 {
		t.Fatalf("ListTasks: %v (%d tasks)", err, len(list.TaskArns))
	}
	desc, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(env.ECS.Cluster), Tasks: list.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range desc.Tasks {
		for _, c := range task.Containers {
			if d := aws.ToString(c.ImageDigest); !strings.HasPrefix(d, "sha256:") {
				t.Errorf("task %s container %s reports no imageDigest for %s", aws.ToString(task.TaskArn), aws.ToString(c.Name), aws.ToString(c.Image))
			}
		}
	}
}

// TestFaultsAndCounters: a throttle and a 5xx on named operations of one account, and the counters.
func TestFaultsAndCounters(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	ctl := control.NewClient(f.s.AWSEndpoint)
	t.Cleanup(func() { _ = ctl.ClearFaults(context.Background()) })
	env, _ := environment.Load(f.root, "staging")
	cfg := f.assume(t, "staging", iampolicy.Deploy, job("staging"))
	cfg.RetryMaxAttempts = 1
	client := ecs.NewFromConfig(cfg)
	describe := &ecs.DescribeServicesInput{Cluster: aws.String(env.ECS.Cluster), Services: []string{env.ECS.Service}}
	before, err := ctl.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, fault := range []control.Fault{
		{Service: "ecs", Operation: "DescribeServices", Account: env.AccountID, Kind: control.Throttle, Count: 1},
		{Service: "ecs", Operation: "DescribeServices", Account: env.AccountID, Kind: control.ServerError, Status: 500, Count: 1},
	} {
		if _, err := ctl.AddFault(ctx, fault); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.DescribeServices(ctx, describe); code(err) != "ThrottlingException" {
		t.Errorf("throttle: %v", err)
	}
	if _, err := client.DescribeServices(ctx, describe); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("5xx: %v", err)
	}
	if _, err := client.DescribeServices(ctx, describe); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	after, err := ctl.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := after.Of(env.AccountID, "ecs", "DescribeServices") - before.Of(env.AccountID, "ecs", "DescribeServices"); n < 3 {
		t.Errorf("DescribeServices counted %d times, want at least 3", n)
	}
}

// TestLocalKeysAreMotoIssued: the env file's keys are the laptop user's, issued by moto. A key moto never
// issued only ever acts in the lenient local account (as its admin, for the local pipeline path's
// invented keys), never in a twin account.
func TestLocalKeysAreMotoIssued(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	who, err := sts.NewFromConfig(f.s.AWSConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(who.Arn), ":user/"+awsseed.LaptopUser) || aws.ToString(who.Account) != f.s.AccountID {
		t.Fatalf("the env file's keys are %+v (%v), want the laptop user of %s", who, err, f.s.AccountID)
	}
	cfg := twin.Config(f.s.AWSEndpoint, f.decl["staging"].Region, aws.Credentials{AccessKeyID: "AKIAINVENTED0000000", SecretAccessKey: "x"})
	who, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != f.s.AccountID {
		t.Fatalf("an invented key is %+v (%v), want the local account %s's admin (lenient local)", who, err, f.s.AccountID)
	}
	env, _ := environment.Load(f.root, "staging")
	out, _ := ecs.NewFromConfig(cfg).DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String("arn:aws:ecs:" + env.Region + ":" + env.AccountID + ":cluster/" + env.ECS.Cluster), Services: []string{env.ECS.Service}})
	if out != nil && len(out.Services) > 0 {
		t.Errorf("an invented key described the staging account's service %s: %+v", env.ECS.Service, out.Services[0].ServiceArn)
	}
}

// TestEKSTokensThroughAccessEntries: the staging deploy role, reached only through OIDC, finds its
// cluster with DescribeCluster (the twin API server's endpoint and CA), authenticates with a pkg/eksauth
// token and may list pods in the app namespace (its access entry's group, bound by RBAC) but not in
// kube-system; the apply role, which has no access entry, is refused by the API server (401).
func TestEKSTokensThroughAccessEntries(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	env, err := environment.Load(f.root, "staging")
	if err != nil {
		t.Fatal(err)
	}
	deploy := f.assume(t, "staging", iampolicy.Deploy, job("staging"))
	kc, _, err := eksauth.Kubeconfig(ctx, deploy, eks.NewFromConfig(deploy), env.EKS.Cluster)
	if err != nil {
		t.Fatalf("the deploy role cannot reach its cluster through DescribeCluster: %v", err)
	}
	server := kc.Clusters[env.EKS.Cluster].Server
	if !strings.HasPrefix(server, "https://127.0.0.1:") {
		t.Fatalf("DescribeCluster reports endpoint %q, want the twin API server on loopback", server)
	}
	client := kubeClient(t, kc)
	if _, err := client.CoreV1().Pods(env.EKS.Namespace).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("the deploy role (access entry with AmazonEKSEditPolicy on %s) cannot list pods there: %v", env.EKS.Namespace, err)
	}
	if _, err := client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the deploy role listed pods in kube-system (its access is namespaced): got %v, want Forbidden", err)
	}

	apply := f.assume(t, "staging", iampolicy.Apply, job("staging"))
	tok, err := eksauth.NewToken(ctx, apply, env.EKS.Cluster, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	kc.AuthInfos[env.EKS.Cluster].Token = tok.Value
	if _, err := kubeClient(t, kc).CoreV1().Pods(env.EKS.Namespace).List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
		t.Errorf("the apply role has no access entry but was not refused: got %v, want 401 Unauthorized", err)
	}
}

func kubeClient(t *testing.T, kc *clientcmdapi.Config) *kubernetes.Clientset {
	t.Helper()
	rc, err := clientcmd.NewDefaultClientConfig(*kc, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
