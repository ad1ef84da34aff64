output "cluster_name" {
  description = "ECS cluster (delivery.yaml ecs.cluster)."
  value       = data.terraform_remote_state.ecs.outputs.cluster_name
}

output "service_name" {
  description = "ECS service (delivery.yaml ecs.service)."
  value       = module.service.service_name
}

output "container_name" {
  description = "App container (delivery.yaml ecs.container)."
  value       = module.service.container_name
}

output "task_definition_family" {
  description = "Task definition family the release engine registers revisions in."
  value       = module.service.task_definition_family
}

output "task_role_arn" {
  description = "Runtime role of the app on ECS."
  value       = module.task_roles.task_role_arn
}

output "execution_role_arn" {
  description = "Execution role of the app's tasks."
  value       = module.task_roles.execution_role_arn
}

output "alb_dns_name" {
  description = "DNS name of the app's load balancer."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Canonical hosted zone of the load balancer (alias records)."
  value       = aws_lb.this.zone_id
}

output "url" {
  description = "URL that always reaches the ECS deployment."
  value       = "https://${var.ecs_hostname}/"
}

output "alarm_names" {
  description = "The app's ECS alarms."
  value       = module.alarms.alarm_names
}

output "ecs_deployment" {
  description = "The deployment strategy and its ALB resources: delivery.yaml ecs.deployment (strategy, load_balancer.*)."
  value = {
    strategy                 = module.service.deployment_strategy
    target_group             = module.service.target_group_arn
    alternate_target_group   = module.service.alternate_target_group_arn
    production_listener_rule = module.service.production_listener_rule_arn
    test_listener_rule       = module.service.test_listener_rule_arn
    role_arn                 = module.service.ecs_infrastructure_role_arn
  }
}
