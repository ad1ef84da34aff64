variable "needed" {
  type        = string
  description = "Nobody sets this."
}
