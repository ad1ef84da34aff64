variable "repositories" {
  description = "ECR repository names to create (one per app, e.g. [\"demo-app\"])."
  type        = list(string)

  validation {
    condition     = length(var.repositories) > 0 && alltrue([for r in var.repositories : can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", r))])
    error_message = "repositories must be a non-empty list of valid ECR repository names (lower case)."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN encrypting the images (null: a key is created for these repositories)."
  type        = string
  default     = null
}

variable "keep_tagged_images" {
  description = "How many commit-tagged images each repository keeps (older ones expire). Keep enough to roll back."
  type        = number
  default     = 50

  validation {
    condition     = var.keep_tagged_images >= 10
    error_message = "keep_tagged_images must be at least 10 so rollbacks have images to return to."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (superseded manifests, failed pushes) expire."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "pull_principal_arns" {
  description = "Roles of other accounts allowed to pull (e.g. the next environment's deploy role, for promotion); same-account roles use IAM policies instead. The policy names their accounts as principals and the roles in an aws:PrincipalArn condition, so the roles need not exist yet."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.pull_principal_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "pull_principal_arns must be role ARNs without wildcards."
  }
}

variable "signing" {
  description = "Image signing keys, one per repository, alias alias/<repository>-<environment>-signing (null: none). signer_role_arns may sign (the environment's deploy role); verifier_role_arns may read the public key and verify (the deploy roles of this environment and of the environments that promote its images). The key policy names the roles' accounts as principals and the roles in an aws:PrincipalArn condition, so the roles need not exist yet."
  type = object({
    environment        = string
    signer_role_arns   = list(string)
    verifier_role_arns = list(string)
  })
  default = null

  validation {
    condition = var.signing == null || (
      can(regex("^[a-z][a-z0-9-]{0,31}$", var.signing.environment)) &&
      length(var.signing.signer_role_arns) > 0 && length(var.signing.verifier_role_arns) > 0 &&
      alltrue([for a in concat(var.signing.signer_role_arns, var.signing.verifier_role_arns) : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    )
    error_message = "signing needs an environment name and at least one signer and one verifier role ARN, without wildcards."
  }
}

variable "force_delete" {
  description = "Allow destroying repositories that still hold images (keep false outside throwaway environments)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
