# Stand-in of stacks/platform/eks: the EKS cluster and controller roles.

locals {
  suffix = substr(sha256("${var.environment}/platform/eks"), 0, 8)
}

data "terraform_remote_state" "shared_dns" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/dns/terraform.tfstate" })
}

data "terraform_remote_state" "shared_iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

data "terraform_remote_state" "shared_parameters" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/parameters/terraform.tfstate" })
}

data "terraform_remote_state" "shared_vpc" {
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
      cluster_name                       = "cluster_name-${local.suffix}"
      cluster_arn                        = "cluster_arn-${local.suffix}"
      cluster_endpoint                   = "cluster_endpoint-${local.suffix}"
      cluster_certificate_authority_data = "cluster_certificate_authority_data-${local.suffix}"
      cluster_security_group_id          = "cluster_security_group_id-${local.suffix}"
      oidc_provider_arn                  = "oidc_provider_arn-${local.suffix}"
      oidc_provider_url                  = "oidc_provider_url-${local.suffix}"
      node_role_arn                      = "node_role_arn-${local.suffix}"
      lb_controller_role_arn             = "lb_controller_role_arn-${local.suffix}"
      external_dns_role_arn              = "external_dns_role_arn-${local.suffix}"
      external_secrets_role_arn          = "external_secrets_role_arn-${local.suffix}"
      cluster_secret_store_name          = "cluster_secret_store_name-${local.suffix}"
    }
    upstream = {
      shared_dns        = data.terraform_remote_state.shared_dns.outputs
      shared_iam        = data.terraform_remote_state.shared_iam.outputs
      shared_parameters = data.terraform_remote_state.shared_parameters.outputs
      shared_vpc        = data.terraform_remote_state.shared_vpc.outputs
    }
  }
}
