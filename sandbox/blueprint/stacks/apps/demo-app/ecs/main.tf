# Stand-in of stacks/apps/demo-app/ecs: the demo app's ECS service.

locals {
  suffix = substr(sha256("${var.environment}/apps/demo-app/ecs"), 0, 8)
}

data "terraform_remote_state" "platform_ecs" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/ecs/terraform.tfstate" })
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

data "terraform_remote_state" "shared_parameters" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/parameters/terraform.tfstate" })
}

data "terraform_remote_state" "shared_s3" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/s3/terraform.tfstate" })
}

data "terraform_remote_state" "shared_vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "apps/demo-app/ecs"
    tags  = var.tags
    values = {
      cluster_name           = data.terraform_remote_state.platform_ecs.outputs.cluster_name
      service_name           = "service_name-${local.suffix}"
      container_name         = "container_name-${local.suffix}"
      task_definition_family = "task_definition_family-${local.suffix}"
      task_role_arn          = "task_role_arn-${local.suffix}"
      execution_role_arn     = "execution_role_arn-${local.suffix}"
      alb_dns_name           = "alb_dns_name-${local.suffix}"
      alb_zone_id            = "alb_zone_id-${local.suffix}"
      url                    = "url-${local.suffix}"
      alarm_names            = ["alarm_names-${local.suffix}-1", "alarm_names-${local.suffix}-2"]
    }
    upstream = {
      platform_ecs           = data.terraform_remote_state.platform_ecs.outputs
      platform_observability = data.terraform_remote_state.platform_observability.outputs
      shared_dns             = data.terraform_remote_state.shared_dns.outputs
      shared_ecr             = data.terraform_remote_state.shared_ecr.outputs
      shared_parameters      = data.terraform_remote_state.shared_parameters.outputs
      shared_s3              = data.terraform_remote_state.shared_s3.outputs
      shared_vpc             = data.terraform_remote_state.shared_vpc.outputs
    }
  }
}
