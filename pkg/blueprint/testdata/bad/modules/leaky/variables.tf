variable "untyped" {
  description = "Has no type."
}

variable "undescribed" {
  type = string
}
