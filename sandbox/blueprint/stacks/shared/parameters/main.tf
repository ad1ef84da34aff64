# Stand-in of stacks/shared/parameters: SSM parameters and secrets.

locals {
  suffix = substr(sha256("${var.environment}/shared/parameters"), 0, 8)
}

data "terraform_remote_state" "shared_data" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/data/terraform.tfstate" })
}

data "terraform_remote_state" "shared_s3" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/s3/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "shared/parameters"
    tags  = var.tags
    values = {
      parameter_path     = "parameter_path-${local.suffix}"
      parameter_path_arn = "parameter_path_arn-${local.suffix}"
      parameter_arns     = ["parameter_arns-${local.suffix}-1", "parameter_arns-${local.suffix}-2"]
      secret_prefix      = "secret_prefix-${local.suffix}"
      secret_prefix_arn  = "secret_prefix_arn-${local.suffix}"
      secret_arns        = ["secret_arns-${local.suffix}-1", "secret_arns-${local.suffix}-2"]
      secret_names       = ["secret_names-${local.suffix}-1", "secret_names-${local.suffix}-2"]
      kms_key_arn        = "kms_key_arn-${local.suffix}"
      ecs_secrets        = { stack = "shared/parameters", environment = var.environment }
    }
    upstream = {
      shared_data = data.terraform_remote_state.shared_data.outputs
      shared_s3   = data.terraform_remote_state.shared_s3.outputs
    }
  }
}
