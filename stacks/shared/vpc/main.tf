# The environment's network: first in the stack graph, everything else builds on it.

data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  name = "${var.project}-${var.environment}"
}

module "network" {
  source = "../../../modules/network"

  name                     = local.name
  cidr_block               = var.vpc_cidr
  availability_zones       = slice(sort(data.aws_availability_zones.available.names), 0, var.az_count)
  nat_strategy             = var.nat_strategy
  eks_cluster_names        = [local.name]
  enable_vpc_endpoints     = var.enable_vpc_endpoints
  flow_logs_retention_days = var.flow_logs_retention_days
}
