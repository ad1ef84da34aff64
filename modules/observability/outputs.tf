output "log_group_names" {
  description = "Created log group names by key."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}

output "log_group_arns" {
  description = "Created log group ARNs by name."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.arn }
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (null when none)."
  value       = local.topic_arn
}

output "alarm_names" {
  description = "Names of every alarm created."
  value = compact(concat(
    aws_cloudwatch_metric_alarm.target_5xx[*].alarm_name,
    aws_cloudwatch_metric_alarm.elb_5xx[*].alarm_name,
    aws_cloudwatch_metric_alarm.latency_p95[*].alarm_name,
    aws_cloudwatch_metric_alarm.unhealthy_targets[*].alarm_name,
    aws_cloudwatch_metric_alarm.ecs_cpu[*].alarm_name,
    aws_cloudwatch_metric_alarm.ecs_memory[*].alarm_name,
    aws_cloudwatch_metric_alarm.eks_node_cpu[*].alarm_name,
    aws_cloudwatch_metric_alarm.eks_node_memory[*].alarm_name,
    aws_cloudwatch_metric_alarm.eks_pod_cpu[*].alarm_name,
    aws_cloudwatch_metric_alarm.eks_pod_memory[*].alarm_name,
  ))
}
