variable "bucket_name" {
  description = "Globally unique bucket name (include the account id and region to avoid collisions)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !can(regex("\\.\\.", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lower-case letters, digits, dots, dashes)."
  }
}

variable "kms_key_arn" {
  description = "Existing CMK for SSE-KMS (null: the module creates a dedicated CMK with rotation)."
  type        = string
  default     = null
}

variable "kms_key_user_arns" {
  description = "IAM principals allowed to use the created CMK for data (encrypt/decrypt through S3 only). Ignored when kms_key_arn is set."
  type        = list(string)
  default     = []
}

variable "kms_key_administrator_arns" {
  description = "IAM principals administering the created CMK (besides the account's IAM delegation)."
  type        = list(string)
  default     = []
}

variable "noncurrent_ia_days" {
  description = "Days after which noncurrent object versions move to STANDARD_IA."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_ia_days >= 30
    error_message = "noncurrent_ia_days must be at least 30 (S3's minimum for STANDARD_IA)."
  }
}

variable "noncurrent_glacier_days" {
  description = "Days after which noncurrent versions move to GLACIER_IR."
  type        = number
  default     = 90
}

variable "noncurrent_expiration_days" {
  description = "Days after which noncurrent versions are deleted (null: keep forever)."
  type        = number
  default     = 365
}

variable "abort_incomplete_multipart_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7
}

variable "force_destroy" {
  description = "Allow destroying the bucket with objects in it (keep false outside throwaway environments)."
  type        = bool
  default     = false
}

variable "access_log_bucket" {
  description = "Bucket receiving server access logs (null: no access logging)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
