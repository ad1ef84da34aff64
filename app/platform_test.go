package main

import (
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDetectPlatform(t *testing.T) {
	cases := []struct {
		name       string
		env        map[string]string
		want       Platform
		wantSource string
		banner     string
	}{
		{"explicit ecs", map[string]string{"DEPLOY_PLATFORM": "ecs"}, PlatformECS, "DEPLOY_PLATFORM", "Running on AWS ECS Fargate"},
		{"explicit eks wins over ecs metadata", map[string]string{"DEPLOY_PLATFORM": "EKS", "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x"}, PlatformEKS, "DEPLOY_PLATFORM", "Running on Kubernetes (EKS)"},
		{"kubernetes alias", map[string]string{"DEPLOY_PLATFORM": " kubernetes "}, PlatformEKS, "DEPLOY_PLATFORM", "Running on Kubernetes (EKS)"},
		{"ecs metadata v4", map[string]string{"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x"}, PlatformECS, "ecs-metadata", "Running on AWS ECS Fargate"},
		{"ecs metadata v3", map[string]string{"ECS_CONTAINER_METADATA_URI": "http://169.254.170.2/v3/x"}, PlatformECS, "ecs-metadata", "Running on AWS ECS Fargate"},
		{"kubernetes service env", map[string]string{"KUBERNETES_SERVICE_HOST": "10.100.0.1"}, PlatformEKS, "kubernetes-service-env", "Running on Kubernetes (EKS)"},
		{"ecs metadata beats kubernetes env", map[string]string{"KUBERNETES_SERVICE_HOST": "10.100.0.1", "ECS_CONTAINER_METADATA_URI_V4": "x"}, PlatformECS, "ecs-metadata", "Running on AWS ECS Fargate"},
		{"unknown value falls back to detection", map[string]string{"DEPLOY_PLATFORM": "mainframe", "KUBERNETES_SERVICE_HOST": "10.0.0.1"}, PlatformEKS, "kubernetes-service-env", "Running on Kubernetes (EKS)"},
		{"nothing", map[string]string{}, PlatformLocal, "default", "Running locally"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, src := DetectPlatform(envMap(tc.env))
			if got != tc.want || src != tc.wantSource {
				t.Fatalf("DetectPlatform = %q (%s), want %q (%s)", got, src, tc.want, tc.wantSource)
			}
			if b := got.Banner(); b != tc.banner {
				t.Fatalf("Banner = %q, want %q", b, tc.banner)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig(envMap(map[string]string{
		"PORT": "9090", "READY_S3_URL": "https://b.s3.ap-southeast-2.amazonaws.com/", "READY_DB_ADDR": "db:5432",
		"READY_REDIS_ADDR": "cache:6379", "READY_CHECK_TIMEOUT": "750ms", "SHUTDOWN_TIMEOUT": "5s", "LOG_LEVEL": "DEBUG",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9090" || c.CheckTimeout.String() != "750ms" || c.ShutdownTimeout.String() != "5s" || c.LogLevel != "debug" {
		t.Fatalf("unexpected config %+v", c)
	}
	if got := len(BuildChecks(c, nil)); got != 3 {
		t.Fatalf("BuildChecks returned %d checks, want 3", got)
	}

	_, err = LoadConfig(envMap(map[string]string{
		"PORT": "http", "READY_S3_URL": "s3://bucket", "READY_DB_ADDR": "db", "READY_CHECK_TIMEOUT": "soon", "LOG_LEVEL": "loud",
	}))
	if err == nil {
		t.Fatal("expected an error for invalid values")
	}
	for _, key := range []string{"PORT", "READY_S3_URL", "READY_DB_ADDR", "READY_CHECK_TIMEOUT", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}

	def, err := LoadConfig(envMap(nil))
	if err != nil || def.Addr != ":8080" || len(BuildChecks(def, nil)) != 0 {
		t.Fatalf("defaults: %+v, %v", def, err)
	}
}
