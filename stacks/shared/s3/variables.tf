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
  description = "App owning the data bucket."
  type        = string
  default     = "demo-app"
}

variable "s3_noncurrent_expiration_days" {
  description = "Days noncurrent object versions are kept before deletion (compliance retention)."
  type        = number
  default     = 365
}

variable "github_repository" {
  description = "owner/name of the repository the CodeBuild project builds (null: no CodeBuild project)."
  type        = string
  default     = null
}

variable "codebuild_source_connection_arn" {
  description = "CodeConnections connection of the CodeBuild project's source (null: the account's stored GitHub source credential)."
  type        = string
  default     = null
}
