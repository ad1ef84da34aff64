# Stand-in of stacks/shared/data: the database and cache.

locals {
  suffix = substr(sha256("${var.environment}/shared/data"), 0, 8)
}

data "terraform_remote_state" "shared_vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "shared/data"
    tags  = var.tags
    values = {
      db_endpoint          = "db_endpoint-${local.suffix}"
      db_master_secret_arn = "db_master_secret_arn-${local.suffix}"
      redis_endpoint       = "redis_endpoint-${local.suffix}"
    }
    upstream = {
      shared_vpc = data.terraform_remote_state.shared_vpc.outputs
    }
  }
}
