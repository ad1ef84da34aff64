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

# --- Stack inputs (environments/<env>/*.tfvars) -------------------------------------------------

variable "project" {
  description = "Short project name used in resource names (<project>-<environment>)."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC (non-overlapping across environments for peering/VPN)."
  type        = string
}

variable "az_count" {
  description = "Number of availability zones (2 or 3; production uses 3 for N+1)."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "nat_strategy" {
  description = "one_per_az, single or none (see modules/network)."
  type        = string
  default     = "one_per_az"
}

variable "enable_vpc_endpoints" {
  description = "Create the S3 gateway and the interface endpoints (ecr.api, ecr.dkr, logs, sts, ssm, ssmmessages, secretsmanager)."
  type        = bool
  default     = true
}

variable "flow_logs_retention_days" {
  description = "VPC flow log retention in days (0 disables flow logs)."
  type        = number
  default     = 90
}
