# Buckets of the environment: the app's data bucket and the pipeline's artifact bucket. Both are
# SSE-KMS with their own CMK, versioned, public-access-blocked, TLS-only, with lifecycle rules.

data "terraform_remote_state" "iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

data "aws_caller_identity" "current" {}

module "app_bucket" {
  source = "../../../modules/s3"

  bucket_name                = "${var.project}-${var.environment}-${var.app_name}-${data.aws_caller_identity.current.account_id}-${var.region}"
  noncurrent_expiration_days = var.s3_noncurrent_expiration_days
}

module "artifact_bucket" {
  source = "../../../modules/s3"

  bucket_name = data.terraform_remote_state.iam.outputs.artifact_bucket_name
  # The CI roles read and write artifacts; the key policy lets them use the CMK through S3 only.
  kms_key_user_arns          = values(data.terraform_remote_state.iam.outputs.ci_role_arns)
  noncurrent_expiration_days = 90
}
