# Optional data stores, each behind a toggle. Access is limited to the VPC's private subnets (tasks,
# nodes and pods all live there); credentials are managed by RDS in Secrets Manager.

data "terraform_remote_state" "vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

locals {
  name = "${var.project}-${var.environment}"
}

module "rds" {
  source = "../../../modules/rds"
  count  = var.enable_rds ? 1 : 0

  identifier          = local.name
  instance_class      = var.rds_instance_class
  multi_az            = var.rds_multi_az
  vpc_id              = data.terraform_remote_state.vpc.outputs.vpc_id
  subnet_ids          = data.terraform_remote_state.vpc.outputs.private_subnet_ids
  allowed_cidr_blocks = [data.terraform_remote_state.vpc.outputs.vpc_cidr_block]
  deletion_protection = var.environment == "production"
}

module "redis" {
  source = "../../../modules/elasticache-redis"
  count  = var.enable_redis ? 1 : 0

  name                = local.name
  node_type           = var.redis_node_type
  replicas            = var.redis_replicas
  vpc_id              = data.terraform_remote_state.vpc.outputs.vpc_id
  subnet_ids          = data.terraform_remote_state.vpc.outputs.private_subnet_ids
  allowed_cidr_blocks = [data.terraform_remote_state.vpc.outputs.vpc_cidr_block]
}
