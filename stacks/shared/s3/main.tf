# Buckets of the environment: the app's data bucket and the pipeline's artifact bucket. Both are
# SSE-KMS with their own CMK, versioned, public-access-blocked, TLS-only, with lifecycle rules.
# Also the CodeBuild project that runs buildspec.yml and writes its reports to the artifact bucket.

data "terraform_remote_state" "iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

module "app_bucket" {
  source = "../../../modules/s3"

  bucket_name                = "${var.project}-${var.environment}-${var.app_name}-${var.account_id}-${var.region}"
  noncurrent_expiration_days = var.s3_noncurrent_expiration_days
}

module "artifact_bucket" {
  source = "../../../modules/s3"

  bucket_name = data.terraform_remote_state.iam.outputs.artifact_bucket_name
  # Only the CodeBuild project's role writes artifacts (GitHub Actions keeps its own); the key policy
  # lets it use the CMK through S3 only.
  kms_key_user_arns          = [data.terraform_remote_state.iam.outputs.codebuild_role_arn]
  noncurrent_expiration_days = 90
}

module "pipeline" {
  source = "../../../modules/codebuild-project"
  count  = var.github_repository == null ? 0 : 1

  name                  = data.terraform_remote_state.iam.outputs.codebuild_project_name
  environment           = var.environment
  github_repository     = var.github_repository
  source_connection_arn = var.codebuild_source_connection_arn
  service_role_arn      = data.terraform_remote_state.iam.outputs.codebuild_role_arn
  apply_role_arn        = data.terraform_remote_state.iam.outputs.apply_role_arn
  deploy_role_arn       = data.terraform_remote_state.iam.outputs.deploy_role_arn
  artifact_bucket_name  = module.artifact_bucket.bucket_id
}
