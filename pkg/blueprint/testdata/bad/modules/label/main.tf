locals {
  id = "${var.prefix}-${var.name}"
}
