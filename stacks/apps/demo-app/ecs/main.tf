# The demo app on ECS Fargate: public ALB, runtime roles next to the workload, the service with
# circuit breaker and autoscaling, a weighted DNS record for cutover, and the app's alarms.

data "terraform_remote_state" "vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

data "terraform_remote_state" "dns" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/dns/terraform.tfstate" })
}

data "terraform_remote_state" "ecr" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/ecr/terraform.tfstate" })
}

data "terraform_remote_state" "s3" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/s3/terraform.tfstate" })
}

data "terraform_remote_state" "parameters" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/parameters/terraform.tfstate" })
}

data "terraform_remote_state" "ecs" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/ecs/terraform.tfstate" })
}

data "terraform_remote_state" "observability" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/observability/terraform.tfstate" })
}

locals {
  name           = "${var.app_name}-${var.environment}"
  vpc            = data.terraform_remote_state.vpc.outputs
  log_group_name = data.terraform_remote_state.observability.outputs.ecs_log_group_names[var.app_name]
  log_group_arn  = data.terraform_remote_state.observability.outputs.ecs_log_group_arns[var.app_name]
  capacity       = var.ecs_fargate_spot_weight > 0 ? { FARGATE = 1, FARGATE_SPOT = var.ecs_fargate_spot_weight } : { FARGATE = 1 }
}

# --- Load balancer -------------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  name_prefix = "${local.name}-alb-"
  description = "Public ALB of ${local.name}"
  vpc_id      = local.vpc.vpc_id

  tags = { Name = "${local.name}-alb" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = { for pair in setproduct(var.alb_ingress_cidrs, [80, 443]) : "${pair[0]}-${pair[1]}" => pair }

  security_group_id = aws_security_group.alb.id
  description       = "HTTP${each.value[1] == 443 ? "S" : ""} from ${each.value[0]}"
  ip_protocol       = "tcp"
  from_port         = each.value[1]
  to_port           = each.value[1]
  cidr_ipv4         = each.value[0]
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id = aws_security_group.alb.id
  description       = "To the tasks in the VPC"
  ip_protocol       = "tcp"
  from_port         = 8080
  to_port           = 8080
  cidr_ipv4         = local.vpc.vpc_cidr_block
}

resource "aws_lb" "this" {
  name                       = substr(local.name, 0, 32)
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = local.vpc.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  idle_timeout               = 60
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = data.terraform_remote_state.dns.outputs.certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "not found"
      status_code  = "404"
    }
  }
}

# --- Runtime roles (next to the workload) ----------------------------------------------------------

module "task_roles" {
  source = "../../../../modules/iam-ecs-task"

  name               = local.name
  log_group_arns     = [local.log_group_arn]
  ssm_parameter_arns = [data.terraform_remote_state.parameters.outputs.parameter_path_arn]
  secret_arns        = values(data.terraform_remote_state.parameters.outputs.secret_arns)
  kms_key_arns       = [data.terraform_remote_state.parameters.outputs.kms_key_arn]
  s3_bucket_arn      = data.terraform_remote_state.s3.outputs.app_bucket_arn
  s3_kms_key_arn     = data.terraform_remote_state.s3.outputs.app_bucket_kms_key_arn
  s3_prefixes        = ["app/"]
}

# --- Service -------------------------------------------------------------------------------------

module "service" {
  source = "../../../../modules/ecs-service"

  name                     = var.app_name
  cluster_arn              = data.terraform_remote_state.ecs.outputs.cluster_arn
  vpc_id                   = local.vpc.vpc_id
  subnet_ids               = local.vpc.private_subnet_ids
  alb_security_group_id    = aws_security_group.alb.id
  listener_arn             = aws_lb_listener.https.arn
  host_headers             = [var.app_hostname, var.ecs_hostname]
  load_balancer_arn_suffix = aws_lb.this.arn_suffix

  container_name     = var.app_name
  image              = "${data.terraform_remote_state.ecr.outputs.repository_urls[var.app_name]}:${var.initial_image_tag}"
  cpu                = var.ecs_task_cpu
  memory             = var.ecs_task_memory
  execution_role_arn = module.task_roles.execution_role_arn
  task_role_arn      = module.task_roles.task_role_arn
  log_group_name     = local.log_group_name
  # The image is FROM scratch: the app (at /demo-app, see app/Dockerfile) probes its own /healthz.
  container_health_check_command = ["CMD", "/demo-app", "-healthcheck"]

  environment = {
    SHUTDOWN_DRAIN_DELAY = "5s"
    SHUTDOWN_TIMEOUT     = "20s"
  }
  # Runtime configuration and secrets, resolved by ECS at task start (valueFrom).
  secrets = data.terraform_remote_state.parameters.outputs.ecs_secrets

  min_capacity              = var.app_min_capacity
  max_capacity              = var.app_max_capacity
  cpu_target_percent        = 65
  capacity_provider_weights = local.capacity

  deployment_strategy              = var.ecs_deployment.strategy
  deployment_step_percent          = var.ecs_deployment.step_percent
  deployment_step_interval_minutes = var.ecs_deployment.step_interval_minutes
  deployment_bake_time_minutes     = var.ecs_deployment.bake_time_minutes
  deployment_alarm_names           = var.ecs_deployment.alarm_names
}

# --- DNS -----------------------------------------------------------------------------------------

resource "aws_route53_record" "app_weighted" {
  zone_id        = data.terraform_remote_state.dns.outputs.zone_id
  name           = var.app_hostname
  type           = "A"
  set_identifier = "ecs"

  weighted_routing_policy {
    weight = var.ecs_dns_weight
  }

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "ecs_direct" {
  zone_id = data.terraform_remote_state.dns.outputs.zone_id
  name    = var.ecs_hostname
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}

# --- Alarms --------------------------------------------------------------------------------------

module "alarms" {
  source = "../../../../modules/observability"

  name            = "${local.name}-ecs"
  alarm_topic_arn = data.terraform_remote_state.observability.outputs.alarm_topic_arn
  alb = {
    load_balancer_arn_suffix = aws_lb.this.arn_suffix
    target_group_arn_suffix  = module.service.target_group_arn_suffix
  }
  ecs_service = {
    cluster_name = data.terraform_remote_state.ecs.outputs.cluster_name
    service_name = module.service.service_name
  }
}
