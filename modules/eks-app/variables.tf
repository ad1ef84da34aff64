variable "app_name" {
  description = "App name; also the Helm release and service account name (e.g. demo-app)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.app_name))
    error_message = "app_name must be kebab-case, 2-41 characters."
  }
}

variable "environment" {
  description = "Environment name, part of the IRSA role name (<app>-<env>-irsa)."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the app (created here with restricted Pod Security)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.namespace)) && length(var.namespace) <= 63
    error_message = "namespace must be a valid Kubernetes namespace name."
  }
}

variable "service_account_name" {
  description = "Service account the chart creates (null: app_name, which is the chart's default for release = app_name)."
  type        = string
  default     = null
}

variable "oidc_provider_arn" {
  description = "Cluster OIDC provider ARN (stacks/platform/eks output)."
  type        = string
}

variable "oidc_provider_url" {
  description = "Cluster OIDC issuer (stacks/platform/eks output)."
  type        = string
}

variable "s3_bucket_arn" {
  description = "App bucket the pods may use (null: none)."
  type        = string
  default     = null
}

variable "s3_prefixes" {
  description = "Key prefixes of the app inside the bucket."
  type        = list(string)
  default     = ["app/"]
}

variable "s3_kms_key_arn" {
  description = "CMK of the app bucket (usable only through S3)."
  type        = string
  default     = null
}

variable "extra_policy_json" {
  description = "Additional permissions of the app (IAM policy JSON), null for none."
  type        = string
  default     = null
}

variable "image_repository_url" {
  description = "ECR repository URI of the app image, passed to Helm as image.repository."
  type        = string
}

variable "ingress_host" {
  description = "Public host of the app's Ingress (null: no Ingress)."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the Ingress's HTTPS listener."
  type        = string
  default     = null
}

variable "deployer_group" {
  description = "Kubernetes group of the CI deploy role (stacks/platform/eks output deployer_group); bound to a Role for the chart's custom resources. null: no binding."
  type        = string
  default     = null
}

variable "namespace_labels" {
  description = "Extra namespace labels."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Extra tags for the AWS resources."
  type        = map(string)
  default     = {}
}
