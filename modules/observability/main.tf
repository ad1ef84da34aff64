locals {
  topic_arn     = var.create_alarm_topic ? aws_sns_topic.alarms[0].arn : var.alarm_topic_arn
  alarm_actions = local.topic_arn == null ? [] : [local.topic_arn]
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.log_groups

  name              = each.key
  retention_in_days = each.value
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, so the topic gets a
# customer managed key whose policy lets CloudWatch (and only through SNS) use it.
data "aws_iam_policy_document" "topic_key" {
  count = var.create_alarm_topic ? 1 : 0

  statement {
    sid       = "AccountIamDelegation"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "topic" {
  count = var.create_alarm_topic ? 1 : 0

  description             = "Alarm topic ${var.name}-alarms"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.topic_key[0].json

  tags = var.tags
}

resource "aws_sns_topic" "alarms" {
  count = var.create_alarm_topic ? 1 : 0

  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.topic[0].arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.create_alarm_topic ? toset(var.alarm_email_addresses) : toset([])

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

# --- ALB: errors, latency, unhealthy targets -------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  count = var.alb == null ? 0 : 1

  alarm_name          = "${var.name}-target-5xx"
  alarm_description   = "The app answered more than ${var.alb.max_5xx_per_minute} 5xx per minute for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  threshold           = var.alb.max_5xx_per_minute
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    LoadBalancer = var.alb.load_balancer_arn_suffix
    TargetGroup  = var.alb.target_group_arn_suffix
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "elb_5xx" {
  count = var.alb == null ? 0 : 1

  alarm_name          = "${var.name}-elb-5xx"
  alarm_description   = "The load balancer itself answered 5xx (no healthy target, timeouts) for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  threshold           = var.alb.max_5xx_per_minute
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    LoadBalancer = var.alb.load_balancer_arn_suffix
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "latency_p95" {
  count = var.alb == null ? 0 : 1

  alarm_name          = "${var.name}-latency-p95"
  alarm_description   = "p95 target response time above ${var.alb.p95_latency_seconds}s for 5 minutes (SLO breach)"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.alb.p95_latency_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    LoadBalancer = var.alb.load_balancer_arn_suffix
    TargetGroup  = var.alb.target_group_arn_suffix
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  count = var.alb == null ? 0 : 1

  alarm_name          = "${var.name}-unhealthy-targets"
  alarm_description   = "At least one target failed its health check for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    LoadBalancer = var.alb.load_balancer_arn_suffix
    TargetGroup  = var.alb.target_group_arn_suffix
  }

  tags = var.tags
}

# --- ECS saturation --------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "ecs_cpu" {
  count = var.ecs_service == null ? 0 : 1

  alarm_name          = "${var.name}-ecs-cpu-saturation"
  alarm_description   = "Service CPU above 80 % for 10 minutes: autoscaling is at its maximum or too slow"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = var.ecs_service.cluster_name
    ServiceName = var.ecs_service.service_name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "ecs_memory" {
  count = var.ecs_service == null ? 0 : 1

  alarm_name          = "${var.name}-ecs-memory-saturation"
  alarm_description   = "Service memory above 90 % for 10 minutes: tasks risk OOM kills"
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = 90
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = var.ecs_service.cluster_name
    ServiceName = var.ecs_service.service_name
  }

  tags = var.tags
}

# --- EKS saturation (Container Insights) -----------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "eks_node_cpu" {
  count = var.eks_cluster_name == null ? 0 : 1

  alarm_name          = "${var.name}-eks-node-cpu-saturation"
  alarm_description   = "Average node CPU above 80 % for 10 minutes: add node capacity"
  namespace           = "ContainerInsights"
  metric_name         = "node_cpu_utilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = var.eks_cluster_name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "eks_node_memory" {
  count = var.eks_cluster_name == null ? 0 : 1

  alarm_name          = "${var.name}-eks-node-memory-saturation"
  alarm_description   = "Average node memory above 90 % for 10 minutes: pods risk eviction"
  namespace           = "ContainerInsights"
  metric_name         = "node_memory_utilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = 90
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = var.eks_cluster_name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "eks_pod_cpu" {
  count = var.eks_workload == null ? 0 : 1

  alarm_name          = "${var.name}-eks-pod-cpu-saturation"
  alarm_description   = "Pods of ${var.eks_workload.service} above 80 % of their CPU limit for 10 minutes: the HPA is at its maximum or throttling"
  namespace           = "ContainerInsights"
  metric_name         = "pod_cpu_utilization_over_pod_limit"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = var.eks_workload.cluster_name
    Namespace   = var.eks_workload.namespace
    Service     = var.eks_workload.service
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "eks_pod_memory" {
  count = var.eks_workload == null ? 0 : 1

  alarm_name          = "${var.name}-eks-pod-memory-saturation"
  alarm_description   = "Pods of ${var.eks_workload.service} above 90 % of their memory limit for 10 minutes: OOM kills ahead"
  namespace           = "ContainerInsights"
  metric_name         = "pod_memory_utilization_over_pod_limit"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = 90
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ClusterName = var.eks_workload.cluster_name
    Namespace   = var.eks_workload.namespace
    Service     = var.eks_workload.service
  }

  tags = var.tags
}
