# Stand-in of stacks/apps/demo-app/eks: the demo app's Helm release.

locals {
  suffix = substr(sha256("${var.environment}/apps/demo-app/eks"), 0, 8)
}

data "terraform_remote_state" "platform_eks" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/eks/terraform.tfstate" })
}

data "terraform_remote_state" "platform_observability" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/observability/terraform.tfstate" })
}

data "terraform_remote_state" "shared_dns" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/dns/terraform.tfstate" })
}

data "terraform_remote_state" "shared_ecr" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/ecr/terraform.tfstate" })
}

data "terraform_remote_state" "shared_s3" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/s3/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "apps/demo-app/eks"
    tags  = var.tags
    values = {
      cluster_name     = data.terraform_remote_state.platform_eks.outputs.cluster_name
      namespace        = "namespace-${local.suffix}"
      release_name     = "release_name-${local.suffix}"
      irsa_role_arn    = "irsa_role_arn-${local.suffix}"
      helm_values      = { stack = "apps/demo-app/eks", environment = var.environment }
      helm_values_yaml = "helm_values_yaml-${local.suffix}"
      url              = "url-${local.suffix}"
    }
    upstream = {
      platform_eks           = data.terraform_remote_state.platform_eks.outputs
      platform_observability = data.terraform_remote_state.platform_observability.outputs
      shared_dns             = data.terraform_remote_state.shared_dns.outputs
      shared_ecr             = data.terraform_remote_state.shared_ecr.outputs
      shared_s3              = data.terraform_remote_state.shared_s3.outputs
    }
  }
}
