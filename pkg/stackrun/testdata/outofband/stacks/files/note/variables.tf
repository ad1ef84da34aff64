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

variable "note_path" {
  type        = string
  description = "Absolute path of the file the stack manages (written by the test)."
}

variable "note" {
  type        = string
  description = "The file's content."
}
