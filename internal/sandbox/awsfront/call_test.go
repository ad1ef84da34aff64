package awsfront

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIdentify(t *testing.T) {
	cases := []struct {
		method, target, path, body, scope string
		service, op                       string
		protocol                          Protocol
		mutating                          bool
	}{
		{"POST", "AmazonEC2ContainerServiceV20141113.UpdateService", "/", "{}", "ecs", "ecs", "UpdateService", ProtocolJSON, true},
		{"POST", "AmazonEC2ContainerServiceV20141113.DescribeServices", "/", "{}", "ecs", "ecs", "DescribeServices", ProtocolJSON, false},
		{"POST", "", "/", "Action=AssumeRoleWithWebIdentity&Version=2011-06-15", "", "sts", "AssumeRoleWithWebIdentity", ProtocolQuery, false},
		{"POST", "", "/", "Action=CreateRole&RoleName=x", "iam", "iam", "CreateRole", ProtocolQuery, true},
		{"GET", "", "/clusters/demo-staging", "", "eks", "eks", "DescribeCluster", ProtocolRESTJSON, false},
		{"POST", "", "/clusters/demo-staging/access-entries", "{}", "eks", "eks", "CreateAccessEntry", ProtocolRESTJSON, true},
		{"GET", "", "/clusters/c/access-entries/arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx", "", "eks", "eks", "DescribeAccessEntry", ProtocolRESTJSON, false},
		{"GET", "", "/access-policies", "", "eks", "eks", "ListAccessPolicies", ProtocolRESTJSON, false},
		{"GET", "", "/tf-state/staging/vpc/terraform.tfstate", "", "s3", "s3", "GetObject", ProtocolRESTXML, false},
		{"PUT", "", "/tf-state/staging/vpc/terraform.tfstate.tflock", "x", "s3", "s3", "PutObject", ProtocolRESTXML, true},
		{"GET", "", "/tf-state?list-type=2&prefix=staging/", "", "s3", "s3", "ListObjectsV2", ProtocolRESTXML, false},
		{"PUT", "", "/tf-state?versioning", "x", "s3", "s3", "PutBucketVersioning", ProtocolRESTXML, true},
		{"POST", "TrentService.Sign", "/", "{}", "kms", "kms", "Sign", ProtocolJSON, false},
		{"POST", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", "/", "{}", "ecr", "ecr", "GetAuthorizationToken", ProtocolJSON, false},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(tc.method, "http://127.0.0.1:4566"+tc.path, strings.NewReader(tc.body))
		if tc.target != "" {
			r.Header.Set("X-Amz-Target", tc.target)
		}
		if tc.scope != "" {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20261130/ap-southeast-2/"+tc.scope+"/aws4_request, SignedHeaders=host, Signature=00")
			r.Header.Set("X-Amz-Date", "20261130T100000Z")
		}
		if tc.protocol == ProtocolQuery {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		c := identify(r, []byte(tc.body), "ap-southeast-2")
		if c.Service != tc.service || c.Operation != tc.op || c.Protocol != tc.protocol || c.Mutating() != tc.mutating {
			t.Errorf("%s %s %s: got %s:%s %s mutating=%v", tc.method, tc.path, tc.target, c.Service, c.Operation, c.Protocol, c.Mutating())
		}
	}
}

func TestAccessDerivation(t *testing.T) {
	call := func(target, body string) *Call {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", target)
		scope := jsonTargets[strings.Split(target, ".")[0]]
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20261130/ap-southeast-2/"+scope+"/aws4_request, SignedHeaders=host, Signature=00")
		r.Header.Set("X-Amz-Date", "20261130T100000Z")
		c := identify(r, []byte(body), "ap-southeast-2")
		c.Account = "222222222222"
		return c
	}
	got := accessFor(call("AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
		`{"family":"demo-app","executionRoleArn":"arn:aws:iam::222222222222:role/demo-app-staging-ecs-execution","tags":[{"key":"a","value":"b"}]}`), nil)
	if len(got) != 3 || got[0].Resource != "*" || got[1].Action != "iam:PassRole" ||
		got[1].Context["iam:PassedToService"][0] != "ecs-tasks.amazonaws.com" || got[2].Context["ecs:CreateAction"][0] != "RegisterTaskDefinition" {
		t.Errorf("RegisterTaskDefinition: %+v", got)
	}
	got = accessFor(call("AmazonEC2ContainerServiceV20141113.UpdateService", `{"cluster":"demo-staging","service":"demo-app"}`), nil)
	if len(got) != 1 || got[0].Resource != "arn:aws:ecs:ap-southeast-2:222222222222:service/demo-staging/demo-app" {
		t.Errorf("UpdateService: %+v", got)
	}
	got = accessFor(call("AmazonEC2ContainerServiceV20141113.ListTasks", `{"cluster":"arn:aws:ecs:ap-southeast-2:222222222222:cluster/demo-staging"}`), nil)
	if got[0].Resource != "arn:aws:ecs:ap-southeast-2:222222222222:container-instance/demo-staging/*" ||
		got[0].Context["ecs:cluster"][0] != "arn:aws:ecs:ap-southeast-2:222222222222:cluster/demo-staging" {
		t.Errorf("ListTasks: %+v", got)
	}
	got = accessFor(call("AmazonEC2ContainerRegistry_V20150921.BatchGetImage", `{"registryId":"222222222222","repositoryName":"demo-app"}`), nil)
	if got[0].ResourceAccount != "" || got[0].Repository != "demo-app" {
		t.Errorf("same-account ECR: %+v", got)
	}
	prod := call("AmazonEC2ContainerRegistry_V20150921.BatchGetImage", `{"registryId":"222222222222","repositoryName":"demo-app"}`)
	prod.Account = "333333333333"
	got = accessFor(prod, nil)
	if got[0].ResourceAccount != "222222222222" || got[0].Resource != "arn:aws:ecr:ap-southeast-2:222222222222:repository/demo-app" {
		t.Errorf("cross-account ECR: %+v", got)
	}
}
