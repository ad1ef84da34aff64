variable "name" {
  description = "Cluster name."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{1,99}$", var.name))
    error_message = "name must start with a letter and contain only letters, digits and dashes."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane (e.g. 1.31). Upgrade one minor at a time."
  type        = string
  default     = "1.31"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.31."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the control plane ENIs and the nodes (one per zone)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must span at least two zones."
  }
}

variable "endpoint_public_access" {
  description = "Expose the API server endpoint publicly (restricted to public_access_cidrs). The private endpoint is always on."
  type        = bool
  default     = true
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint (CI runners, office VPN). Never leave 0.0.0.0/0 in production."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrnetmask(c))])
    error_message = "public_access_cidrs must be IPv4 CIDRs."
  }
}

variable "cluster_log_types" {
  description = "Control plane log types shipped to CloudWatch."
  type        = list(string)
  default     = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
}

variable "log_retention_days" {
  description = "Retention of the control plane log group."
  type        = number
  default     = 90
}

variable "node_instance_types" {
  description = "Instance types of the managed node group (several types improve Spot and capacity availability)."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_min_size" {
  description = "Minimum nodes (at least one per zone for zone-spread workloads)."
  type        = number
  default     = 2
}

variable "node_desired_size" {
  description = "Initial node count (the cluster autoscaler or Karpenter owns it afterwards)."
  type        = number
  default     = 3
}

variable "node_max_size" {
  description = "Maximum nodes (expected peak plus one for headroom)."
  type        = number
  default     = 6

  validation {
    condition     = var.node_max_size >= 1
    error_message = "node_max_size must be at least 1."
  }
}

variable "node_disk_size_gib" {
  description = "Root volume size of the nodes (gp3, encrypted)."
  type        = number
  default     = 50
}

variable "addon_versions" {
  description = "Pinned versions of the vpc-cni, coredns and kube-proxy add-ons (null for a key: the default version for the cluster)."
  type = object({
    vpc-cni    = optional(string)
    coredns    = optional(string)
    kube-proxy = optional(string)
  })
  default = {}
}

variable "access_entries" {
  description = "IAM principals granted Kubernetes access through EKS access entries: an EKS access policy (scope cluster, or namespace with namespaces) plus optional Kubernetes groups for extra RBAC (e.g. custom resources the access policies do not cover)."
  type = map(object({
    principal_arn     = string
    policy            = string
    scope             = optional(string, "namespace")
    namespaces        = optional(list(string), [])
    kubernetes_groups = optional(list(string), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for e in values(var.access_entries) : contains(["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"], e.policy)])
    error_message = "access_entries[*].policy must be AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy, AmazonEKSEditPolicy or AmazonEKSViewPolicy."
  }

  validation {
    condition     = alltrue([for e in values(var.access_entries) : e.scope == "cluster" || (e.scope == "namespace" && length(e.namespaces) > 0)])
    error_message = "access_entries with scope namespace must list namespaces."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
