variable "name" {
  type        = string
  description = "Name to label."
}

variable "prefix" {
  type        = string
  description = "Prefix of the label."
  default     = "demo"
}
