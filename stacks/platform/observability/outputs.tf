output "alarm_topic_arn" {
  description = "SNS topic every alarm of the environment notifies."
  value       = module.observability.alarm_topic_arn
}

output "ecs_log_group_names" {
  description = "ECS app log group names by app."
  value       = local.ecs_log_groups
}

output "ecs_log_group_arns" {
  description = "ECS app log group ARNs by app."
  value       = { for app, g in local.ecs_log_groups : app => module.observability.log_group_arns[g] }
}

output "eks_application_log_group_name" {
  description = "Log group of container logs on EKS (Container Insights)."
  value       = local.container_insights_groups[0]
}

output "alarm_names" {
  description = "Cluster-level alarms."
  value       = module.observability.alarm_names
}
