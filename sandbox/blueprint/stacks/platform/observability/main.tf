# Stand-in of stacks/platform/observability: log groups and alarms.

locals {
  suffix = substr(sha256("${var.environment}/platform/observability"), 0, 8)
}

data "terraform_remote_state" "platform_ecs" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/ecs/terraform.tfstate" })
}

data "terraform_remote_state" "platform_eks" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/eks/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "platform/observability"
    tags  = var.tags
    values = {
      alarm_topic_arn                = "alarm_topic_arn-${local.suffix}"
      ecs_log_group_names            = ["ecs_log_group_names-${local.suffix}-1", "ecs_log_group_names-${local.suffix}-2"]
      ecs_log_group_arns             = ["ecs_log_group_arns-${local.suffix}-1", "ecs_log_group_arns-${local.suffix}-2"]
      eks_application_log_group_name = "eks_application_log_group_name-${local.suffix}"
      alarm_names                    = ["alarm_names-${local.suffix}-1", "alarm_names-${local.suffix}-2"]
    }
    upstream = {
      platform_ecs = data.terraform_remote_state.platform_ecs.outputs
      platform_eks = data.terraform_remote_state.platform_eks.outputs
    }
  }
}
