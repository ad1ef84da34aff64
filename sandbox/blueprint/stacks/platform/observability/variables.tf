variable "environment" {
  type        = string
  description = "Environment name (supplied by the stack engine)."
}

variable "remote_state" {
  type        = any
  description = "S3 backend settings of this environment minus key (supplied by the stack engine)."
}

variable "region" {
  type        = string
  description = "AWS region of the environment."
}

variable "tags" {
  type        = map(string)
  description = "Tags every resource carries (Project, App, Environment, Owner, ManagedBy)."
}
