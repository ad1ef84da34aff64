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

variable "eks_kubernetes_version" {
  description = "Kubernetes minor version of the cluster."
  type        = string
  default     = "1.31"
}

variable "eks_public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint (CI runners, VPN). Empty: private endpoint only."
  type        = list(string)
  default     = []
}

variable "eks_node_instance_types" {
  description = "Instance types of the default node group."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "eks_node_capacity_type" {
  description = "ON_DEMAND or SPOT nodes."
  type        = string
  default     = "ON_DEMAND"
}

variable "eks_node_min_size" {
  description = "Minimum nodes."
  type        = number
  default     = 2
}

variable "eks_node_desired_size" {
  description = "Initial nodes."
  type        = number
  default     = 2
}

variable "eks_node_max_size" {
  description = "Maximum nodes (expected peak + 1)."
  type        = number
  default     = 4
}

variable "controller_chart_repositories" {
  description = "Helm repository URL per controller chart (aws-load-balancer-controller, external-dns, external-secrets): the projects' published repositories or your internal mirror."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["aws-load-balancer-controller", "external-dns", "external-secrets"] : contains(keys(var.controller_chart_repositories), k)])
    error_message = "controller_chart_repositories must name aws-load-balancer-controller, external-dns and external-secrets."
  }
}

variable "controller_chart_versions" {
  description = "Pinned chart versions of the controllers."
  type = object({
    aws-load-balancer-controller = string
    external-dns                 = string
    external-secrets             = string
  })
  default = {
    aws-load-balancer-controller = "1.9.0"
    external-dns                 = "1.15.0"
    external-secrets             = "0.17.0"
  }
}
