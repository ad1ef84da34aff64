# Stand-in of stacks/shared/vpc: the VPC, subnets, NAT and endpoints.

locals {
  suffix = substr(sha256("${var.environment}/shared/vpc"), 0, 8)
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "shared/vpc"
    tags  = var.tags
    values = {
      vpc_id                          = "vpc_id-${local.suffix}"
      vpc_cidr_block                  = "vpc_cidr_block-${local.suffix}"
      availability_zones              = ["availability_zones-${local.suffix}-1", "availability_zones-${local.suffix}-2"]
      public_subnet_ids               = ["public_subnet_ids-${local.suffix}-1", "public_subnet_ids-${local.suffix}-2"]
      private_subnet_ids              = ["private_subnet_ids-${local.suffix}-1", "private_subnet_ids-${local.suffix}-2"]
      private_route_table_ids         = ["private_route_table_ids-${local.suffix}-1", "private_route_table_ids-${local.suffix}-2"]
      nat_public_ips                  = ["nat_public_ips-${local.suffix}-1", "nat_public_ips-${local.suffix}-2"]
      vpc_endpoints_security_group_id = "vpc_endpoints_security_group_id-${local.suffix}"
    }
    upstream = {
    }
  }
}
