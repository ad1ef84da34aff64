variable "environment" {
  type        = string
  description = "Environment name (from the engine)."
}

variable "remote_state" {
  type        = any
  description = "Backend settings minus key (from the engine)."
}

variable "tags" {
  type        = map(string)
  description = "Environment tags."
}

variable "seed" {
  type        = string
  description = "Root value the paths grow from."
}
