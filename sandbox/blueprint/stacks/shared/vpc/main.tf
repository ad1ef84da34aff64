# Stand-in of stacks/shared/vpc: the VPC and its subnets.

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
      vpc_id             = "vpc-${local.suffix}"
      private_subnet_ids = ["subnet-${local.suffix}-a", "subnet-${local.suffix}-b"]
      public_subnet_ids  = ["subnet-${local.suffix}-pa", "subnet-${local.suffix}-pb"]
    }
    upstream = {
    }
  }
}
