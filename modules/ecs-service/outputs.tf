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

# --- Deployment strategy: the values of delivery.yaml's ecs.deployment.load_balancer -------------------

output "deployment_strategy" {
  description = "The service's deployment strategy (delivery.yaml ecs.deployment.strategy)."
  value       = var.deployment_strategy
}

output "alternate_target_group_arn" {
  description = "Alternate target group of BLUE_GREEN, LINEAR and CANARY (ecs.deployment.load_balancer.alternate_target_group); null for ROLLING."
  value       = one(aws_lb_target_group.alternate[*].arn)
}

output "production_listener_rule_arn" {
  description = "The listener rule ECS shifts production traffic on (ecs.deployment.load_balancer.production_listener_rule)."
  value       = one(concat(aws_lb_listener_rule.weighted[*].arn, aws_lb_listener_rule.this[*].arn))
}

output "test_listener_rule_arn" {
  description = "The test traffic rule (ecs.deployment.load_balancer.test_listener_rule); null without test_listener_arn."
  value       = one(aws_lb_listener_rule.test[*].arn)
}

output "ecs_infrastructure_role_arn" {
  description = "The role ECS assumes to shift listener weights (ecs.deployment.load_balancer.role_arn); null for ROLLING."
  value       = one(aws_iam_role.ecs_infrastructure[*].arn)
}

output "deployment_hooks_role_arn" {
  description = "The role ECS assumes to invoke the lifecycle hooks (ecs.deployment.hooks[].role_arn); null without hooks."
  value       = one(aws_iam_role.ecs_hooks[*].arn)
}
