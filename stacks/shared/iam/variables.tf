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

variable "github_role_purposes" {
  description = "Purposes whose roles this environment's GitHub Actions jobs assume (.github/workflows: plan, drift, apply, deploy). A role trusts a job subject only when a workflow job uses it."
  type        = list(string)
  default     = ["plan", "drift", "apply", "deploy"]
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider (false: one already exists in the account, e.g. created by another environment)."
  type        = bool
  default     = true
}

variable "app_namespaces" {
  description = "Namespaces the deploy role may deploy to (its EKS access entry's scope)."
  type        = list(string)
  default     = ["demo"]
}

variable "promotion_source" {
  description = "The environment whose verified images this one promotes (null: none): the deploy role may pull its repositories. Must match that environment's delivery.yaml."
  type = object({
    environment = string
    account_id  = string
    region      = string
  })
  default = null
}

variable "codebuild_source_connection_arn" {
  description = "CodeConnections connection of the CodeBuild project's source (null: the account's stored GitHub source credential)."
  type        = string
  default     = null
}
