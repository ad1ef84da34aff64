package awsfront_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// After a rollback of a secret's value (AWSCURRENT moved back to the previous version), reading the
// secret without a version returns the AWSCURRENT version, as AWS does.
func TestTwinSecretReadFollowsAWSCURRENT(t *testing.T) {
	tw := newTwin(t)
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(tw.config(tw.admins[staging]))
	name := "twin-test/rollback-" + t.Name()
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	first, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	put, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String("v2")})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)}); err != nil || aws.ToString(got.SecretString) != "v2" {
		t.Fatalf("after PutSecretValue the current value is v2: %v %v", got, err)
	}
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(name),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: first.VersionId, RemoveFromVersionId: put.VersionId}); err != nil {
		t.Fatal(err)
	}
	got, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.VersionId) != aws.ToString(first.VersionId) || aws.ToString(got.SecretString) != "v1" {
		t.Fatalf("after the rollback the read returns version %s (%q, stages %v), want %s (v1)",
			aws.ToString(got.VersionId), aws.ToString(got.SecretString), got.VersionStages, aws.ToString(first.VersionId))
	}
	// An explicit version is answered as asked.
	old, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionId: put.VersionId})
	if err != nil || aws.ToString(old.SecretString) != "v2" {
		t.Fatalf("the read of version %s: %v %v", aws.ToString(put.VersionId), old, err)
	}
}
