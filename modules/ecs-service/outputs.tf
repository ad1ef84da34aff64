output "service_name" {
  description = "ECS service name (delivery.yaml ecs.service)."
  value       = aws_ecs_service.this.name
}

output "service_id" {
  description = "ECS service ARN."
  value       = aws_ecs_service.this.id
}

output "task_definition_arn" {
  description = "Task definition revision created by Terraform (the release engine registers later ones)."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Task definition family."
  value       = aws_ecs_task_definition.this.family
}

output "container_name" {
  description = "App container name (delivery.yaml ecs.container)."
  value       = var.container_name
}

output "target_group_arn" {
  description = "Target group ARN."
  value       = aws_lb_target_group.this.arn
}

output "target_group_arn_suffix" {
  description = "Target group ARN suffix, for CloudWatch metrics and alarms."
  value       = aws_lb_target_group.this.arn_suffix
}

output "security_group_id" {
  description = "Security group of the tasks (allow it in data store security groups)."
  value       = aws_security_group.service.id
}
