variable "name_prefix" {
  description = "Prefix of every role name, <project>-<environment> (roles become <prefix>-ci-<purpose>)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 letters, digits or dashes."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of the account's GitHub Actions OIDC provider (null: no GitHub Actions roles; CodeBuild only)."
  type        = string
  default     = null
}

variable "github_repository" {
  description = "owner/name of the repository whose jobs assume the roles (null: no GitHub Actions roles)."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, without wildcards."
  }
}

variable "github_purposes" {
  description = "Purposes whose roles GitHub Actions jobs of this environment assume (plan, drift, apply, deploy): a role trusts a subject only when a workflow job uses it. plan and drift roles exist only when listed."
  type        = list(string)
  default     = ["plan", "drift", "apply", "deploy"]

  validation {
    condition     = alltrue([for p in var.github_purposes : contains(["plan", "drift", "apply", "deploy"], p)])
    error_message = "github_purposes may list plan, drift, apply and deploy."
  }
}

variable "github_environments" {
  description = "The GitHub environment whose jobs assume each role: the trust accepts exactly the subject repo:<repository>:environment:<name>. See docs/identities.md."
  type = object({
    plan   = string
    drift  = string
    apply  = string
    deploy = string
  })

  validation {
    condition     = alltrue([for n in values(var.github_environments) : can(regex("^[A-Za-z0-9_.-]+$", n))])
    error_message = "github_environments must be plain GitHub environment names (no wildcards)."
  }

  validation {
    condition     = var.github_environments.plan != var.github_environments.apply && var.github_environments.drift != var.github_environments.apply && var.github_environments.plan != var.github_environments.drift
    error_message = "plan, drift and apply/deploy must use different GitHub environments: a pull request's plan job must never get a role that writes."
  }
}

variable "state_bucket_name" {
  description = "Terraform state bucket; plan and drift read, apply reads and writes (with lock files) under state_key_prefix."
  type        = string
}

variable "state_key_prefix" {
  description = "Environment prefix of the state keys (<env>), so every role touches only this environment's state."
  type        = string
}

variable "parameter_path" {
  description = "SSM path of the app's non-secret configuration (no trailing slash): the only parameters plan and drift may read."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_./-]*[^/]$", var.parameter_path))
    error_message = "parameter_path must start with / and not end with /."
  }
}

variable "apply_name_prefixes" {
  description = "Prefixes of the IAM roles and S3 buckets the stacks create (<project>-<env>, <app>-<env>): the apply role manages only those."
  type        = list(string)

  validation {
    condition     = length(var.apply_name_prefixes) > 0 && alltrue([for p in var.apply_name_prefixes : can(regex("^[a-z0-9][a-z0-9-]+$", p))])
    error_message = "apply_name_prefixes must be non-empty names without wildcards."
  }
}

variable "ecr_repositories" {
  description = "ECR repositories (names) the deploy role pushes to."
  type        = list(string)

  validation {
    condition     = length(var.ecr_repositories) > 0
    error_message = "ecr_repositories must list at least one repository."
  }
}

variable "ecs_cluster_name" {
  description = "ECS cluster the deploy role may update services in."
  type        = string
}

variable "ecs_service_names" {
  description = "ECS services the deploy role may update."
  type        = list(string)
}

variable "ecs_task_role_name_patterns" {
  description = "Role name patterns (IAM ARN wildcards allowed) of task and execution roles the deploy role may pass to ECS."
  type        = list(string)
}

variable "eks_cluster_name" {
  description = "EKS cluster the deploy role may describe (Kubernetes rights come from eks_access_entries)."
  type        = string
}

variable "eks_namespaces" {
  description = "Namespaces the deploy role may deploy to (its EKS access entry's scope)."
  type        = list(string)

  validation {
    condition     = length(var.eks_namespaces) > 0
    error_message = "eks_namespaces must list at least one namespace."
  }
}

variable "eks_deployer_group" {
  description = "Kubernetes group of the deploy role's access entry (app stacks bind extra Roles to it)."
  type        = string
  default     = "ci-deployers"
}

variable "promotion_sources" {
  description = "Accounts whose registries this environment promotes images from: the deploy role may pull the same repositories there."
  type = list(object({
    account_id = string
    region     = string
  }))
  default = []
}

variable "signing_key_aliases" {
  description = "Aliases (alias/<name>) of this environment's image signing keys (modules/ecr signing): the deploy role signs with them (kms:Sign, ECDSA_SHA_256 over a digest)."
  type        = list(string)

  validation {
    condition     = length(var.signing_key_aliases) > 0 && alltrue([for a in var.signing_key_aliases : can(regex("^alias/[A-Za-z0-9/_-]+$", a))])
    error_message = "signing_key_aliases must list alias names (alias/<name>)."
  }
}

variable "trusted_signing_keys" {
  description = "The signing keys the deploy gate reads (kms:GetPublicKey, kms:Verify), by account, region and aliases: this environment's and the promotion source's (a key of another account also needs its key policy to allow this role). Must cover delivery.yaml signing.trust."
  type = list(object({
    account_id = string
    region     = string
    aliases    = list(string)
  }))

  validation {
    condition     = alltrue([for k in var.trusted_signing_keys : can(regex("^[0-9]{12}$", k.account_id)) && length(k.aliases) > 0])
    error_message = "trusted_signing_keys entries need a 12-digit account id and at least one alias."
  }
}

variable "codebuild_project_name" {
  description = "Name of the CodeBuild project running buildspec.yml; its role trusts only this project (aws:SourceArn)."
  type        = string
}

variable "codebuild_source_connection_arn" {
  description = "CodeConnections connection the CodeBuild project fetches its source through (null: none)."
  type        = string
  default     = null
}

variable "artifact_bucket_name" {
  description = "Bucket of the CodeBuild project's artifacts."
  type        = string
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
  description = "Permissions boundary attached to every role (null: none). Recommended for the apply role, which manages roles named like itself."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
