# S3 backend of the local environment: the state bucket in the sandbox's moto, created by
# `go run ./cmd/sandbox up`. The stack engine adds key=local/<stack>/terraform.tfstate.
# Needs terraform >= 1.10 or OpenTofu >= 1.10 (endpoints block, S3-native lock file).
bucket       = "tf-state-123456789012-ap-southeast-2"
region       = "ap-southeast-2"
encrypt      = true
use_lockfile = true

endpoints = {
  s3       = "http://127.0.0.1:4566"
  dynamodb = "http://127.0.0.1:4566"
  sts      = "http://127.0.0.1:4566"
  iam      = "http://127.0.0.1:4566"
}
use_path_style = true

# moto accepts any credentials and has no instance metadata.
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
