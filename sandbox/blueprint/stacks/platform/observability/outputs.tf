output "alarm_topic_arn" {
  description = "alarm topic arn (stand-in value)."
  value       = terraform_data.this.output.values.alarm_topic_arn
}

output "ecs_log_group_names" {
  description = "ecs log group names (stand-in value)."
  value       = terraform_data.this.output.values.ecs_log_group_names
}

output "ecs_log_group_arns" {
  description = "ecs log group arns (stand-in value)."
  value       = terraform_data.this.output.values.ecs_log_group_arns
}

output "eks_application_log_group_name" {
  description = "eks application log group name (stand-in value)."
  value       = terraform_data.this.output.values.eks_application_log_group_name
}

output "alarm_names" {
  description = "alarm names (stand-in value)."
  value       = terraform_data.this.output.values.alarm_names
}
