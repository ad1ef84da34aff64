variable "name" {
  description = "Role name prefix, e.g. demo-app-staging (roles become <name>-ecs-task and <name>-ecs-execution)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{1,48}$", var.name))
    error_message = "name must be 2-49 letters, digits or dashes."
  }
}

variable "log_group_arns" {
  description = "CloudWatch log groups the execution role writes container logs to."
  type        = list(string)
}

variable "ssm_parameter_arns" {
  description = "SSM parameters the execution role resolves for the task definition's valueFrom (ARNs, wildcards allowed under a path)."
  type        = list(string)
  default     = []
}

variable "secret_arns" {
  description = "Secrets Manager secrets the execution role resolves for the task definition's valueFrom."
  type        = list(string)
  default     = []
}

variable "kms_key_arns" {
  description = "KMS keys protecting those parameters and secrets (decrypt only)."
  type        = list(string)
  default     = []
}

variable "s3_bucket_arn" {
  description = "App bucket the task role may read and write (null: no S3 access)."
  type        = string
  default     = null
}

variable "s3_prefixes" {
  description = "Key prefixes inside the bucket the task role may use (least privilege: the app's own prefix)."
  type        = list(string)
  default     = ["app/"]
}

variable "s3_kms_key_arn" {
  description = "CMK encrypting the app bucket (the task role gets encrypt/decrypt through S3 only)."
  type        = string
  default     = null
}

variable "task_policy_json" {
  description = "Additional IAM policy document (JSON) for the task role, for app-specific needs."
  type        = string
  default     = null
}

variable "enable_execute_command" {
  description = "Grant the task role the SSM messages permissions ECS Exec needs."
  type        = bool
  default     = false
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for both roles (null: none)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
