# Stand-in of stacks/platform/eks: the EKS cluster in the shared VPC.

locals {
  suffix = substr(sha256("${var.environment}/platform/eks"), 0, 8)
}

data "terraform_remote_state" "iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

data "terraform_remote_state" "vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "platform/eks"
    tags  = var.tags
    values = {
      cluster_name      = "demo-${var.environment}"
      oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.${var.region}.amazonaws.com/id/${upper(local.suffix)}"
    }
    upstream = {
      iam = data.terraform_remote_state.iam.outputs
      vpc = data.terraform_remote_state.vpc.outputs
    }
  }
}
