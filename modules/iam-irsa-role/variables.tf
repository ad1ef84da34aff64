variable "name" {
  description = "IAM role name."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9+=,.@_-]{1,63}$", var.name))
    error_message = "name must be a valid IAM role name (up to 64 characters)."
  }
}

variable "description" {
  description = "Role description."
  type        = string
  default     = "IRSA role"
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (output of stacks/platform/eks)."
  type        = string
}

variable "oidc_provider_url" {
  description = "Issuer URL of the cluster's OIDC provider, with or without https://."
  type        = string
}

variable "service_accounts" {
  description = "Kubernetes service accounts allowed to assume the role, as namespace:name."
  type        = list(string)

  validation {
    condition     = length(var.service_accounts) > 0 && alltrue([for s in var.service_accounts : can(regex("^[a-z0-9-]+:[a-z0-9.-]+$", s))])
    error_message = "service_accounts must list namespace:name pairs (no wildcards)."
  }
}

variable "policy_json" {
  description = "Inline policy document (JSON) with the workload's permissions (null: none)."
  type        = string
  default     = null
}

variable "managed_policy_arns" {
  description = "Managed policies to attach."
  type        = list(string)
  default     = []
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary (null: none)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
