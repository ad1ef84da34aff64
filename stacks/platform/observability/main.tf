# Observability of the platform: the environment's alarm topic, log groups with retention for app
# logs on ECS and for Container Insights on EKS, the CloudWatch agent add-on (Container Insights for
# EKS; ECS enables it as a cluster setting), and cluster saturation alarms.

data "terraform_remote_state" "ecs" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/ecs/terraform.tfstate" })
}

data "terraform_remote_state" "eks" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/eks/terraform.tfstate" })
}

locals {
  ecs_cluster = data.terraform_remote_state.ecs.outputs.cluster_name
  eks_cluster = data.terraform_remote_state.eks.outputs.cluster_name

  ecs_log_groups = { for app in var.app_names : app => "/ecs/${local.ecs_cluster}/${app}" }
  # Pre-created so their retention is ours, not "never expire".
  container_insights_groups = [for t in ["application", "dataplane", "host", "performance"] : "/aws/containerinsights/${local.eks_cluster}/${t}"]
}

module "observability" {
  source = "../../../modules/observability"

  name                  = "${var.project}-${var.environment}"
  create_alarm_topic    = true
  alarm_email_addresses = var.alarm_email_addresses
  log_groups = merge(
    { for g in values(local.ecs_log_groups) : g => var.log_retention_days },
    { for g in local.container_insights_groups : g => var.log_retention_days },
  )
  eks_cluster_name = local.eks_cluster
}

module "cloudwatch_agent_irsa" {
  source = "../../../modules/iam-irsa-role"

  name              = "${local.eks_cluster}-cloudwatch-agent"
  description       = "CloudWatch agent and Fluent Bit of ${local.eks_cluster} (Container Insights)"
  oidc_provider_arn = data.terraform_remote_state.eks.outputs.oidc_provider_arn
  oidc_provider_url = data.terraform_remote_state.eks.outputs.oidc_provider_url
  service_accounts  = ["amazon-cloudwatch:cloudwatch-agent"]
  managed_policy_arns = [
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
  ]
}

resource "aws_eks_addon" "cloudwatch_observability" {
  cluster_name                = local.eks_cluster
  addon_name                  = "amazon-cloudwatch-observability"
  addon_version               = var.cloudwatch_observability_addon_version
  service_account_role_arn    = module.cloudwatch_agent_irsa.role_arn
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  depends_on = [module.observability]
}
