variable "name" {
  type        = string
  description = "What to label."
}

variable "prefix" {
  type        = string
  description = "Label prefix."
  default     = "lbl"
}
