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

variable "app_name" {
  description = "App whose runtime configuration lives here."
  type        = string
  default     = "demo-app"
}

variable "app_log_level" {
  description = "LOG_LEVEL of the app."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.app_log_level)
    error_message = "app_log_level must be debug, info, warn or error."
  }
}

variable "app_secret_names" {
  description = "Secrets the app reads, as environment variable name => secret short name. Values are never in Terraform: set them with the secret-rotation runbook."
  type        = map(string)
  default = {
    APP_AUTH_TOKEN = "app-auth-token"
  }
}
