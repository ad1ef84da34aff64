variable "name" {
  description = "Name prefix for every resource (e.g. demo-staging)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name))
    error_message = "name must be kebab-case, 2-39 characters, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC. A /16 leaves room for /20 subnets in three zones."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && try(tonumber(split("/", var.cidr_block)[1]) <= 20, false)
    error_message = "cidr_block must be a valid IPv4 CIDR no smaller than /20."
  }
}

variable "availability_zones" {
  description = "Availability zones to use (2 or 3). One public and one private subnet is created in each."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list 2 or 3 distinct zones."
  }
}

variable "public_subnet_newbits" {
  description = "Bits added to the VPC prefix for public subnets (4 on a /16 gives /20s)."
  type        = number
  default     = 4
}

variable "private_subnet_newbits" {
  description = "Bits added to the VPC prefix for private subnets (3 on a /16 gives /19s: workloads need more addresses than ALBs)."
  type        = number
  default     = 3
}

variable "nat_strategy" {
  description = "Egress for private subnets: one_per_az (production: survives a zone loss), single (cheaper, one zone is a single point of failure) or none (VPC endpoints only)."
  type        = string
  default     = "one_per_az"

  validation {
    condition     = contains(["one_per_az", "single", "none"], var.nat_strategy)
    error_message = "nat_strategy must be one_per_az, single or none."
  }
}

variable "eks_cluster_names" {
  description = "EKS clusters that use this VPC; subnets get kubernetes.io/cluster/<name> = shared so the AWS Load Balancer Controller discovers them."
  type        = list(string)
  default     = []
}

variable "enable_vpc_endpoints" {
  description = "Create the S3 gateway endpoint and interface endpoints (ecr.api, ecr.dkr, logs, sts, ssm, ssmmessages, secretsmanager) so image pulls and AWS API calls stay off the NAT."
  type        = bool
  default     = true
}

variable "interface_endpoint_services" {
  description = "Interface endpoint service short names created when enable_vpc_endpoints is true."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "sts", "ssm", "ssmmessages", "secretsmanager"]
}

variable "flow_logs_retention_days" {
  description = "Retention of the VPC flow log group in days; 0 disables flow logs."
  type        = number
  default     = 90

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be 0 or a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "flow_logs_kms_key_arn" {
  description = "KMS key ARN encrypting the flow log group (null: CloudWatch Logs' default encryption)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource (the stack's provider adds the environment's default tags)."
  type        = map(string)
  default     = {}
}
