variable "name" {
  description = "Service name (also the task definition family and the target group name prefix)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,31}$", var.name))
    error_message = "name must be kebab-case, 2-32 characters."
  }
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster (output of stacks/platform/ecs)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the service and its target group."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in (one per zone)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must span at least two zones."
  }
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer; only it may reach the container port."
  type        = string
}

variable "listener_arn" {
  description = "HTTPS listener the service's rule is attached to."
  type        = string
}

variable "listener_rule_priority" {
  description = "Priority of the listener rule (unique per listener)."
  type        = number
  default     = 100
}

variable "host_headers" {
  description = "Host names routed to this service."
  type        = list(string)

  validation {
    condition     = length(var.host_headers) > 0
    error_message = "host_headers must list at least one host."
  }
}

variable "load_balancer_arn_suffix" {
  description = "ARN suffix of the ALB (app/<name>/<id>), for the RequestCountPerTarget scaling alarm."
  type        = string
}

variable "container_name" {
  description = "Name of the app container (the release engine replaces this container's image)."
  type        = string
}

variable "image" {
  description = "Initial image (repository:tag or repository@digest). Later images are registered by the release engine; Terraform ignores the task definition after creation."
  type        = string
}

variable "container_port" {
  description = "Port the app listens on."
  type        = number
  default     = 8080
}

variable "cpu" {
  description = "Task CPU units (512 = 0.5 vCPU)."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Task memory in MiB (must be valid for the chosen cpu on Fargate)."
  type        = number
  default     = 1024
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (Graviton, cheaper; the image must be built for it)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "environment" {
  description = "Plain environment variables (never secrets). DEPLOY_PLATFORM=ecs is always added."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables resolved by ECS at start: name => SSM parameter or Secrets Manager ARN (valueFrom)."
  type        = map(string)
  default     = {}
}

variable "execution_role_arn" {
  description = "Task execution role (modules/iam-ecs-task)."
  type        = string
}

variable "task_role_arn" {
  description = "Task role (modules/iam-ecs-task)."
  type        = string
}

variable "log_group_name" {
  description = "CloudWatch log group of the container logs (created by the caller with its retention)."
  type        = string
}

variable "container_health_check_command" {
  description = "Container health check command in ECS form, e.g. [\"CMD\", \"/demo-app\", \"-healthcheck\"] (null: none; the image needs no shell for the CMD form)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.container_health_check_command == null || try(contains(["CMD", "CMD-SHELL"], var.container_health_check_command[0]), false)
    error_message = "container_health_check_command must start with CMD or CMD-SHELL."
  }
}

variable "health_check_path" {
  description = "Target group health check path (the app's readiness endpoint)."
  type        = string
  default     = "/readyz"
}

variable "deregistration_delay" {
  description = "Seconds the target group drains a task before deregistering it (match the app's SHUTDOWN_DRAIN_DELAY plus in-flight time)."
  type        = number
  default     = 30
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL for the container (Fargate maximum 120)."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout >= 2 && var.stop_timeout <= 120
    error_message = "stop_timeout must be between 2 and 120 seconds."
  }
}

variable "min_capacity" {
  description = "Minimum running tasks (N+1 across zones in production)."
  type        = number
  default     = 2
}

variable "max_capacity" {
  description = "Maximum running tasks."
  type        = number
  default     = 6

  validation {
    condition     = var.max_capacity >= 1
    error_message = "max_capacity must be at least 1."
  }
}

variable "cpu_target_percent" {
  description = "Target tracking: average CPU utilisation the service scales to."
  type        = number
  default     = 65

  validation {
    condition     = var.cpu_target_percent >= 20 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be between 20 and 90."
  }
}

variable "requests_per_target_threshold" {
  description = "Step scaling: add a task when ALB RequestCountPerTarget stays above this for two minutes."
  type        = number
  default     = 150
}

variable "scale_cooldown_seconds" {
  description = "Cooldown after a scaling activity."
  type        = number
  default     = 300
}

variable "capacity_provider_weights" {
  description = "Fargate capacity providers and weights, e.g. { FARGATE = 1 } or { FARGATE = 1, FARGATE_SPOT = 3 }. The first min_capacity tasks always run on FARGATE."
  type        = map(number)
  default     = { FARGATE = 1 }

  validation {
    condition     = alltrue([for k in keys(var.capacity_provider_weights) : contains(["FARGATE", "FARGATE_SPOT"], k)])
    error_message = "capacity_provider_weights keys must be FARGATE or FARGATE_SPOT."
  }
}

variable "enable_execute_command" {
  description = "Allow ECS Exec into running tasks (the task role needs the ssmmessages permissions)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- Deployment strategy (delivery.yaml ecs.deployment declares the same values) ----------------------

variable "deployment_strategy" {
  description = "How ECS deploys a new revision: ROLLING (tasks replaced in place, circuit breaker), BLUE_GREEN (all production traffic moves at once), LINEAR (in equal steps) or CANARY (a share first, then the rest). The last three add an alternate target group and shift the listener rule's weights."
  type        = string
  default     = "ROLLING"

  validation {
    condition     = contains(["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"], var.deployment_strategy)
    error_message = "deployment_strategy must be ROLLING, BLUE_GREEN, LINEAR or CANARY."
  }
}

variable "deployment_step_percent" {
  description = "LINEAR: production traffic moved per step (3-100). CANARY: the canary's share of production traffic (0.1-100). null: ECS's default (10 and 5)."
  type        = number
  default     = null

  validation {
    condition     = var.deployment_step_percent == null || try(var.deployment_step_percent >= 0.1 && var.deployment_step_percent <= 100, false)
    error_message = "deployment_step_percent must be between 0.1 and 100."
  }
}

variable "deployment_step_interval_minutes" {
  description = "LINEAR: minutes between traffic steps. CANARY: minutes the canary bakes before the rest moves. null: ECS's default (6 and 10)."
  type        = number
  default     = null

  validation {
    condition     = var.deployment_step_interval_minutes == null || try(var.deployment_step_interval_minutes >= 0 && var.deployment_step_interval_minutes <= 1440, false)
    error_message = "deployment_step_interval_minutes must be between 0 and 1440."
  }
}

variable "deployment_bake_time_minutes" {
  description = "Minutes both revisions keep running after all production traffic moved (alarms still roll back meanwhile) before the old one is scaled down. null: ECS's default."
  type        = number
  default     = null

  validation {
    condition     = var.deployment_bake_time_minutes == null || try(var.deployment_bake_time_minutes >= 0 && var.deployment_bake_time_minutes <= 1440, false)
    error_message = "deployment_bake_time_minutes must be between 0 and 1440."
  }
}

variable "deployment_alarm_names" {
  description = "CloudWatch alarms watched during a deployment: one in ALARM makes ECS roll the deployment back (any strategy)."
  type        = list(string)
  default     = []
}

variable "test_listener_arn" {
  description = "Optional listener (e.g. a test port) whose rule sends test traffic to the new revision before production moves (BLUE_GREEN, LINEAR, CANARY). null: no test traffic."
  type        = string
  default     = null
}

variable "deployment_lifecycle_hooks" {
  description = "Lambda functions ECS invokes at lifecycle stages of a BLUE_GREEN, LINEAR or CANARY deployment (stages: RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRE_PRODUCTION_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT); a hook returning FAILED rolls the deployment back."
  type = list(object({
    lambda_arn = string
    stages     = list(string)
  }))
  default = []

  validation {
    condition = alltrue([for h in var.deployment_lifecycle_hooks : alltrue([for s in h.stages : contains(
      ["RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"], s)])])
    error_message = "deployment_lifecycle_hooks stages must be ECS lifecycle hook stages."
  }
}
