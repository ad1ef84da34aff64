variable "name" {
  description = "Prefix of alarm and topic names (e.g. demo-staging or demo-app-staging)."
  type        = string
}

variable "log_groups" {
  description = "CloudWatch log groups to create: name => retention in days."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for d in values(var.log_groups) : contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], d)])
    error_message = "log_groups retention values must be CloudWatch Logs retention periods (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key encrypting the log groups (its policy must allow the CloudWatch Logs service); null: service default encryption."
  type        = string
  default     = null
}

variable "create_alarm_topic" {
  description = "Create an SNS topic for the alarms (false: pass alarm_topic_arn)."
  type        = bool
  default     = false
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic the alarms notify (used when create_alarm_topic is false; null: alarms without actions)."
  type        = string
  default     = null
}

variable "alarm_email_addresses" {
  description = "Email subscriptions of the created topic (on-call lists)."
  type        = list(string)
  default     = []
}

variable "alb" {
  description = "ALB alarms (5xx, latency, unhealthy targets) for one target group; null disables them."
  type = object({
    load_balancer_arn_suffix = string
    target_group_arn_suffix  = string
    p95_latency_seconds      = optional(number, 0.2)
    max_5xx_per_minute       = optional(number, 5)
  })
  default = null
}

variable "ecs_service" {
  description = "ECS saturation alarms (CPU above 80 %, memory above 90 %) for one service; null disables them."
  type = object({
    cluster_name = string
    service_name = string
  })
  default = null
}

variable "eks_cluster_name" {
  description = "EKS cluster whose Container Insights node metrics get saturation alarms (null: none)."
  type        = string
  default     = null
}

variable "eks_workload" {
  description = "Container Insights pod saturation alarms (CPU and memory against limits) for one Kubernetes service; null disables them."
  type = object({
    cluster_name = string
    namespace    = string
    service      = string
  })
  default = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
