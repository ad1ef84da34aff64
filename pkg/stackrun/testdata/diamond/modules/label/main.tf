locals {
  label = "${var.prefix}:${var.name}"
}
