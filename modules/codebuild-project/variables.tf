variable "name" {
  description = "Project name; the service role's trust names it (aws:SourceArn), so keep it equal to modules/iam's codebuild_project_name."
  type        = string
}

variable "environment" {
  description = "Environment the buildspec delivers (DELIVERY_ENV)."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the repository holding buildspec.yml."
  type        = string
}

variable "source_version" {
  description = "Branch (or commit) built when a build does not name one."
  type        = string
  default     = "main"
}

variable "source_connection_arn" {
  description = "CodeConnections connection to the repository (null: the account's stored GitHub source credential)."
  type        = string
  default     = null
}

variable "service_role_arn" {
  description = "The project's service role (modules/iam output codebuild_role_arn)."
  type        = string
}

variable "apply_role_arn" {
  description = "Role of the buildspec's apply step (APPLY_ROLE_ARN)."
  type        = string
}

variable "deploy_role_arn" {
  description = "Role of the buildspec's deploy step (DEPLOY_ROLE_ARN)."
  type        = string
}

variable "artifact_bucket_name" {
  description = "Bucket receiving the build's report artifacts."
  type        = string
}

variable "image" {
  description = "CodeBuild image: a standard Linux image with Go and the AWS CLI v2."
  type        = string
  default     = "aws/codebuild/standard:7.0"
}

variable "compute_type" {
  description = "CodeBuild compute type (the Dagger engine wants at least 7 GB of memory)."
  type        = string
  default     = "BUILD_GENERAL1_MEDIUM"
}

variable "build_timeout_minutes" {
  description = "Build timeout in minutes."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Retention of the build logs."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
