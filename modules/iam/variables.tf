variable "name_prefix" {
  description = "Prefix of every role name, e.g. demo-staging (roles become <prefix>-ci-build, ...)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 letters, digits or dashes."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider; when set, the roles also trust workflows matching github_subjects."
  type        = string
  default     = null
}

variable "github_subjects" {
  description = "OIDC sub claims allowed to assume the CI roles, e.g. [\"repo:acme/delivery:environment:staging\"]. Use environment-scoped subjects, never a bare repo:* pattern."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.github_subjects : can(regex("^repo:[^*/]+/[^*/:]+:.+$", s))])
    error_message = "github_subjects must look like repo:<owner>/<repo>:<qualifier> without wildcards in the owner or repository."
  }
}

variable "ecr_repository_arns" {
  description = "ECR repositories the build role pushes to and the deploy roles read from."
  type        = list(string)

  validation {
    condition     = length(var.ecr_repository_arns) > 0
    error_message = "ecr_repository_arns must list at least one repository."
  }
}

variable "artifact_bucket_arn" {
  description = "S3 bucket ARN for pipeline artifacts (artifact.json, plans); roles get read/write on it."
  type        = string
}

variable "state_bucket_arn" {
  description = "Terraform state bucket ARN; the plan role reads state and writes lock files under state_key_prefix."
  type        = string
}

variable "state_key_prefix" {
  description = "Environment prefix of the state keys (<env>), so the plan role only touches this environment's state."
  type        = string
}

variable "ecs_cluster_name" {
  description = "ECS cluster the deploy-ecs role may update services in."
  type        = string
}

variable "ecs_service_names" {
  description = "ECS services the deploy-ecs role may update."
  type        = list(string)
}

variable "ecs_task_role_name_patterns" {
  description = "Role name patterns (IAM ARN wildcards allowed) of task and execution roles the deploy-ecs role may pass to ECS when registering task definitions."
  type        = list(string)
}

variable "eks_cluster_name" {
  description = "EKS cluster the deploy-eks role may describe (Kubernetes permissions come from an EKS access entry)."
  type        = string
}

variable "codestar_connection_arn" {
  description = "CodeConnections (CodeStar) connection used by the pipeline's source stage (null: no source connection permission)."
  type        = string
  default     = null
}

variable "codebuild_project_name_prefix" {
  description = "Prefix of the CodeBuild projects the pipeline role may start (defaults to name_prefix)."
  type        = string
  default     = null
}

variable "max_session_duration" {
  description = "Maximum session length of the CI roles in seconds."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary attached to every role (null: none)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
