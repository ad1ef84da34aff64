output "cluster_name" {
  description = "ECS cluster name (delivery.yaml ecs.cluster)."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "exec_log_group_name" {
  description = "Log group auditing ECS Exec sessions."
  value       = aws_cloudwatch_log_group.exec.name
}
