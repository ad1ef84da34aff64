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

variable "project" {
  description = "Short project name used in resource names."
  type        = string
}

variable "app_names" {
  description = "Apps of the environment; each gets an ECS log group /ecs/<cluster>/<app>."
  type        = list(string)
  default     = ["demo-app"]
}

variable "log_retention_days" {
  description = "Retention of application and Container Insights log groups."
  type        = number
  default     = 30
}

variable "alarm_email_addresses" {
  description = "On-call email addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []
}

variable "cloudwatch_observability_addon_version" {
  description = "Version of the amazon-cloudwatch-observability EKS add-on (null: default for the cluster)."
  type        = string
  default     = null
}
