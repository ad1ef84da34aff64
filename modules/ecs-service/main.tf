data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  environment = merge(var.environment, {
    DEPLOY_PLATFORM = "ecs"
    PORT            = tostring(var.container_port)
  })

  health_check = var.container_health_check_command == null ? {} : {
    healthCheck = {
      command     = var.container_health_check_command
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }
  }

  container = merge({
    name                   = var.container_name
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = true
    user                   = "65532:65532"
    stopTimeout            = var.stop_timeout
    portMappings = [{
      name          = "http"
      containerPort = var.container_port
      protocol      = "tcp"
      appProtocol   = "http"
    }]
    environment = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
    secrets     = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = var.name
        mode                  = "non-blocking"
        max-buffer-size       = "4m"
      }
    }
    linuxParameters = {
      initProcessEnabled = true
    }
  }, local.health_check)

  # The first provider listed carries the base (min_capacity tasks on on-demand Fargate).
  providers = [for k in sort(keys(var.capacity_provider_weights)) : { name = k, weight = var.capacity_provider_weights[k] }]
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  container_definitions    = jsonencode([local.container])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  tags = var.tags
}

resource "aws_security_group" "service" {
  name_prefix = "${var.name}-svc-"
  description = "Tasks of ${var.name}: the app port from the ALB only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-service" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  security_group_id            = aws_security_group.service.id
  description                  = "App port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = var.alb_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.service.id
  description       = "AWS APIs (through endpoints or NAT) and data stores"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_lb_target_group" "this" {
  name_prefix          = substr(replace(var.name, "-", ""), 0, 6)
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true
  }
}

# --- Deployment strategy -----------------------------------------------------------------------------
# ROLLING replaces the tasks behind the one target group. BLUE_GREEN, LINEAR and CANARY start the new
# revision behind the alternate target group and shift the listener rule's forward weights (ECS owns
# the weights from then on: Terraform ignores them after creation).

locals {
  shifts_traffic = var.deployment_strategy != "ROLLING"
}

resource "aws_lb_target_group" "alternate" {
  count = local.shifts_traffic ? 1 : 0

  name_prefix          = substr(replace(var.name, "-", ""), 0, 5)
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Name = "${var.name}-alternate" })

  lifecycle {
    create_before_destroy = true
  }
}

moved {
  from = aws_lb_listener_rule.this
  to   = aws_lb_listener_rule.this[0]
}

resource "aws_lb_listener_rule" "this" {
  count = local.shifts_traffic ? 0 : 1

  listener_arn = var.listener_arn
  priority     = var.listener_rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  condition {
    host_header {
      values = var.host_headers
    }
  }

  tags = var.tags
}

# The production rule of BLUE_GREEN, LINEAR and CANARY: all traffic on the primary group at creation.
resource "aws_lb_listener_rule" "weighted" {
  count = local.shifts_traffic ? 1 : 0

  listener_arn = var.listener_arn
  priority     = var.listener_rule_priority

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.this.arn
        weight = 100
      }
      target_group {
        arn    = aws_lb_target_group.alternate[0].arn
        weight = 0
      }
    }
  }

  condition {
    host_header {
      values = var.host_headers
    }
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [action] # ECS shifts the weights during deployments
  }
}

# Test traffic (optional): the same hosts on the test listener reach the new revision first.
resource "aws_lb_listener_rule" "test" {
  count = local.shifts_traffic && var.test_listener_arn != null ? 1 : 0

  listener_arn = var.test_listener_arn
  priority     = var.listener_rule_priority

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.this.arn
        weight = 100
      }
      target_group {
        arn    = aws_lb_target_group.alternate[0].arn
        weight = 0
      }
    }
  }

  condition {
    host_header {
      values = var.host_headers
    }
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [action]
  }
}

# The infrastructure role ECS assumes to shift the listener rules' weights.
resource "aws_iam_role" "ecs_infrastructure" {
  count = local.shifts_traffic ? 1 : 0

  name = "${var.name}-ecs-infrastructure"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "ecs_infrastructure" {
  count = local.shifts_traffic ? 1 : 0

  role       = aws_iam_role.ecs_infrastructure[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
}

# The role ECS assumes to invoke the lifecycle hooks' functions.
resource "aws_iam_role" "ecs_hooks" {
  count = local.shifts_traffic && length(var.deployment_lifecycle_hooks) > 0 ? 1 : 0

  name = "${var.name}-ecs-hooks"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "ecs_hooks" {
  count = local.shifts_traffic && length(var.deployment_lifecycle_hooks) > 0 ? 1 : 0

  name = "invoke-deployment-hooks"
  role = aws_iam_role.ecs_hooks[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = distinct([for h in var.deployment_lifecycle_hooks : h.lambda_arn])
    }]
  })
}

resource "aws_ecs_service" "this" {
  name                              = var.name
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.min_capacity
  health_check_grace_period_seconds = 30
  enable_execute_command            = var.enable_execute_command
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true
  wait_for_steady_state             = false

  # Zero-downtime rolling deploys: never below the desired count, roll back automatically on failure.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  # The circuit breaker applies to the rolling strategy only.
  dynamic "deployment_circuit_breaker" {
    for_each = local.shifts_traffic ? [] : [1]
    content {
      enable   = true
      rollback = true
    }
  }

  dynamic "deployment_configuration" {
    for_each = local.shifts_traffic || var.deployment_bake_time_minutes != null ? [1] : []
    content {
      strategy             = var.deployment_strategy
      bake_time_in_minutes = var.deployment_bake_time_minutes

      dynamic "linear_configuration" {
        for_each = var.deployment_strategy == "LINEAR" ? [1] : []
        content {
          step_percent              = var.deployment_step_percent
          step_bake_time_in_minutes = var.deployment_step_interval_minutes
        }
      }

      dynamic "canary_configuration" {
        for_each = var.deployment_strategy == "CANARY" ? [1] : []
        content {
          canary_percent              = var.deployment_step_percent
          canary_bake_time_in_minutes = var.deployment_step_interval_minutes
        }
      }

      dynamic "lifecycle_hook" {
        for_each = local.shifts_traffic ? var.deployment_lifecycle_hooks : []
        content {
          hook_target_arn  = lifecycle_hook.value.lambda_arn
          role_arn         = aws_iam_role.ecs_hooks[0].arn
          lifecycle_stages = lifecycle_hook.value.stages
        }
      }
    }
  }

  # Any of these alarms in ALARM during a deployment rolls it back.
  dynamic "alarms" {
    for_each = length(var.deployment_alarm_names) > 0 ? [1] : []
    content {
      alarm_names = var.deployment_alarm_names
      enable      = true
      rollback    = true
    }
  }

  deployment_controller {
    type = "ECS"
  }

  dynamic "capacity_provider_strategy" {
    for_each = local.providers
    content {
      capacity_provider = capacity_provider_strategy.value.name
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.name == "FARGATE" ? var.min_capacity : 0
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = var.container_name
    container_port   = var.container_port

    dynamic "advanced_configuration" {
      for_each = local.shifts_traffic ? [1] : []
      content {
        alternate_target_group_arn = aws_lb_target_group.alternate[0].arn
        production_listener_rule   = aws_lb_listener_rule.weighted[0].arn
        test_listener_rule         = var.test_listener_arn != null ? aws_lb_listener_rule.test[0].arn : null
        role_arn                   = aws_iam_role.ecs_infrastructure[0].arn
      }
    }
  }

  tags = var.tags

  # The release engine registers new task definition revisions and Service Auto Scaling owns the
  # count: Terraform must not roll either back on the next apply.
  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }

  depends_on = [aws_lb_listener_rule.this, aws_lb_listener_rule.weighted, aws_iam_role_policy_attachment.ecs_infrastructure]
}

# --- Service Auto Scaling ----------------------------------------------------------------------------

locals {
  cluster_name = element(split("/", var.cluster_arn), length(split("/", var.cluster_arn)) - 1)
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${local.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity

  tags = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = var.scale_cooldown_seconds * 2
    scale_out_cooldown = var.scale_cooldown_seconds

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests_step" {
  name               = "${var.name}-requests-step"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.scale_cooldown_seconds
    metric_aggregation_type = "Average"

    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "requests_high" {
  alarm_name          = "${var.name}-requests-per-target-high"
  alarm_description   = "Scale ${var.name} out by one task: RequestCountPerTarget above ${var.requests_per_target_threshold} for 2 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "RequestCountPerTarget"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.requests_per_target_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.requests_step.arn]

  dimensions = {
    LoadBalancer = var.load_balancer_arn_suffix
    TargetGroup  = aws_lb_target_group.this.arn_suffix
  }

  tags = var.tags
}
