# Stand-in of stacks/shared/s3: the application and artifact buckets.

locals {
  suffix = substr(sha256("${var.environment}/shared/s3"), 0, 8)
}

data "terraform_remote_state" "shared_iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "shared/s3"
    tags  = var.tags
    values = {
      app_bucket_name             = "app_bucket_name-${local.suffix}"
      app_bucket_arn              = "app_bucket_arn-${local.suffix}"
      app_bucket_kms_key_arn      = "app_bucket_kms_key_arn-${local.suffix}"
      app_bucket_url              = "app_bucket_url-${local.suffix}"
      artifact_bucket_name        = "artifact_bucket_name-${local.suffix}"
      artifact_bucket_arn         = "artifact_bucket_arn-${local.suffix}"
      artifact_bucket_kms_key_arn = "artifact_bucket_kms_key_arn-${local.suffix}"
      codebuild_project_name      = "codebuild_project_name-${local.suffix}"
    }
    upstream = {
      shared_iam = data.terraform_remote_state.shared_iam.outputs
    }
  }
}
