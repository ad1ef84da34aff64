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

variable "app_name" {
  description = "App name: Helm release, service account, ECR repository."
  type        = string
  default     = "demo-app"
}

variable "app_namespace" {
  description = "Kubernetes namespace of the app (delivery.yaml eks.namespace)."
  type        = string
  default     = "demo"
}

variable "app_hostname" {
  description = "Public host of the app (weighted record shared by the ECS and EKS deployments)."
  type        = string
}

variable "eks_hostname" {
  description = "Host that always reaches the EKS deployment (its Ingress rule; ExternalDNS writes the record)."
  type        = string
}
