package main

import (
	"os"
	"strings"
)

// Platform identifies the runtime the app is deployed on.
type Platform string

const (
	PlatformECS   Platform = "ecs"
	PlatformEKS   Platform = "eks"
	PlatformLocal Platform = "local"
)

// Banner is the first line of the "/" response, naming the platform.
func (p Platform) Banner() string {
	switch p {
	case PlatformECS:
		return "Running on AWS ECS Fargate"
	case PlatformEKS:
		return "Running on Kubernetes (EKS)"
	default:
		return "Running locally"
	}
}

// DetectPlatform decides the platform from the environment:
//  1. DEPLOY_PLATFORM set explicitly by the deployment (task definition or Helm values) wins;
//  2. otherwise the ECS agent's metadata variables mean ECS;
//  3. otherwise the Kubernetes service variables injected into every pod mean EKS;
//  4. otherwise the app runs locally.
//
// getenv is os.Getenv in production and a map lookup in tests.
func DetectPlatform(getenv func(string) string) (Platform, string) {
	switch v := strings.ToLower(strings.TrimSpace(getenv("DEPLOY_PLATFORM"))); v {
	case "ecs", "fargate", "ecs-fargate":
		return PlatformECS, "DEPLOY_PLATFORM"
	case "eks", "kubernetes", "k8s":
		return PlatformEKS, "DEPLOY_PLATFORM"
	case "local":
		return PlatformLocal, "DEPLOY_PLATFORM"
	}
	if getenv("ECS_CONTAINER_METADATA_URI_V4") != "" || getenv("ECS_CONTAINER_METADATA_URI") != "" {
		return PlatformECS, "ecs-metadata"
	}
	if getenv("KUBERNETES_SERVICE_HOST") != "" {
		return PlatformEKS, "kubernetes-service-env"
	}
	return PlatformLocal, "default"
}

func osGetenv(k string) string { return os.Getenv(k) }
