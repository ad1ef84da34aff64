# --- Supplied to every stack: by the engine (environment, remote_state) or environments/<env>/tags.tfvars.

variable "environment" {
  description = "Environment name (development, staging, production); set by the stack engine."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be a lower-case name."
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
  description = "The app whose pipeline these roles run (service, repository and role name prefix)."
  type        = string
  default     = "demo-app"
}

variable "github_repository" {
  description = "owner/name of the repository whose GitHub Actions workflows may assume the CI roles (null: CodeBuild/CodePipeline only)."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like owner/name."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider (false: one already exists in the account, e.g. created by another environment)."
  type        = bool
  default     = true
}

variable "codestar_connection_arn" {
  description = "CodeConnections connection of the CodePipeline source stage (null when GitHub Actions drives the pipeline)."
  type        = string
  default     = null
}
