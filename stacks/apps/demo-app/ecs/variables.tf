# --- Supplied to every stack: by the engine (environment, remote_state) or environments/<env>/tags.tfvars.

variable "environment" {
  description = "Environment name (development, staging, production); set by the stack engine."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be a lower-case name."
  }
}

variable "account_id" {
  description = "AWS account of the environment (environments/<env>/tags.tfvars, equal to delivery.yaml): the provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "tags" {
  description = "Default tags of every resource (Project, App, Environment, Owner, ManagedBy)."
  type        = map(string)
}

variable "remote_state" {
  description = "S3 backend settings of the environment (bucket, region, ...) without key; set by the stack engine to read prior stacks."
  type        = map(string)
}

# --- Stack inputs -------------------------------------------------------------------------------

variable "app_name" {
  description = "App name: ECS service, container, task family, ECR repository."
  type        = string
  default     = "demo-app"
}

variable "app_hostname" {
  description = "Public host of the app (weighted record shared by the ECS and EKS deployments)."
  type        = string
}

variable "ecs_hostname" {
  description = "Host that always reaches the ECS deployment (verification, DNS cutover)."
  type        = string
}

variable "ecs_dns_weight" {
  description = "Route 53 weight of the ECS ALB for app_hostname (0-255; 0 drains ECS, see docs/runbooks/dns-cutover.md)."
  type        = number
  default     = 100

  validation {
    condition     = var.ecs_dns_weight >= 0 && var.ecs_dns_weight <= 255
    error_message = "ecs_dns_weight must be between 0 and 255."
  }
}

variable "ecs_task_cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 512
}

variable "ecs_task_memory" {
  description = "Fargate task memory in MiB."
  type        = number
  default     = 1024
}

variable "app_min_capacity" {
  description = "Minimum tasks/pods of the app (N+1 across zones in production)."
  type        = number
  default     = 2
}

variable "app_max_capacity" {
  description = "Maximum tasks/pods of the app."
  type        = number
  default     = 6
}

variable "ecs_fargate_spot_weight" {
  description = "Weight of FARGATE_SPOT above the on-demand base (0: on-demand only)."
  type        = number
  default     = 0
}

variable "initial_image_tag" {
  description = "Tag of the image the first task definition points at; the release engine registers every later revision."
  type        = string
  default     = "bootstrap"
}

variable "alb_deletion_protection" {
  description = "Protect the load balancer from deletion."
  type        = bool
  default     = true
}

variable "alb_ingress_cidrs" {
  description = "CIDRs allowed to reach the public load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "ecs_deployment" {
  description = "The service's deployment strategy per environment (modules/ecs-service deployment_*): ROLLING, BLUE_GREEN, LINEAR or CANARY, with step percent and interval (LINEAR, CANARY), bake time and the CloudWatch alarms that roll back. Copy the module's outputs into delivery.yaml's ecs.deployment when the deploy should pass them too."
  type = object({
    strategy              = optional(string, "ROLLING")
    step_percent          = optional(number)
    step_interval_minutes = optional(number)
    bake_time_minutes     = optional(number)
    alarm_names           = optional(list(string), [])
  })
  default = {}
}
