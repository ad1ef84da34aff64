variable "environment" {
  type        = string
  description = "Environment name."
}

variable "remote_state" {
  type        = any
  description = "Backend settings."
}
