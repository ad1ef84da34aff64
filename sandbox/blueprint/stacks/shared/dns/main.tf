# Stand-in of stacks/shared/dns: hosted zones and the certificate.

locals {
  suffix = substr(sha256("${var.environment}/shared/dns"), 0, 8)
}

data "terraform_remote_state" "shared_vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "shared/dns"
    tags  = var.tags
    values = {
      zone_id           = "zone_id-${local.suffix}"
      zone_name         = "zone_name-${local.suffix}"
      zone_arn          = "zone_arn-${local.suffix}"
      name_servers      = ["name_servers-${local.suffix}-1", "name_servers-${local.suffix}-2"]
      private_zone_id   = "private_zone_id-${local.suffix}"
      private_zone_name = "private_zone_name-${local.suffix}"
      certificate_arn   = "certificate_arn-${local.suffix}"
    }
    upstream = {
      shared_vpc = data.terraform_remote_state.shared_vpc.outputs
    }
  }
}
