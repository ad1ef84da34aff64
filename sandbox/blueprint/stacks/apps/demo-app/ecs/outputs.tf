output "cluster_name" {
  description = "cluster name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_name
}

output "service_name" {
  description = "service name (stand-in value)."
  value       = terraform_data.this.output.values.service_name
}

output "container_name" {
  description = "container name (stand-in value)."
  value       = terraform_data.this.output.values.container_name
}

output "task_definition_family" {
  description = "task definition family (stand-in value)."
  value       = terraform_data.this.output.values.task_definition_family
}

output "task_role_arn" {
  description = "task role arn (stand-in value)."
  value       = terraform_data.this.output.values.task_role_arn
}

output "execution_role_arn" {
  description = "execution role arn (stand-in value)."
  value       = terraform_data.this.output.values.execution_role_arn
}

output "alb_dns_name" {
  description = "alb dns name (stand-in value)."
  value       = terraform_data.this.output.values.alb_dns_name
}

output "alb_zone_id" {
  description = "alb zone id (stand-in value)."
  value       = terraform_data.this.output.values.alb_zone_id
}

output "url" {
  description = "url (stand-in value)."
  value       = terraform_data.this.output.values.url
}

output "alarm_names" {
  description = "alarm names (stand-in value)."
  value       = terraform_data.this.output.values.alarm_names
}
