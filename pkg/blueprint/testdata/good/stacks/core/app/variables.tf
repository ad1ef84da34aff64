variable "environment" {
  type        = string
  description = "Environment name."
}

variable "remote_state" {
  type        = map(string)
  description = "Backend settings minus key."
}

variable "region" {
  type        = string
  description = "AWS region."
}

variable "tags" {
  type        = map(string)
  description = "Default tags."
}

variable "port" {
  type        = number
  description = "Listener port."
}
