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

variable "ecr_repositories" {
  description = "Repositories of the environment, one per app."
  type        = list(string)
  default     = ["demo-app"]
}

variable "ecr_keep_tagged_images" {
  description = "Commit-tagged images kept per repository (rollback depth)."
  type        = number
  default     = 50
}

variable "project" {
  description = "Short project name used in resource names (the target environments' role names start with it)."
  type        = string
}

variable "promotion_targets" {
  description = "Environments that promote this environment's images, by name, with their account id: their deploy roles may pull. Each must match that environment's delivery.yaml."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for a in values(var.promotion_targets) : can(regex("^[0-9]{12}$", a))])
    error_message = "promotion_targets values must be 12-digit account ids."
  }
}
