module "label" {
  source = "../../../modules/label"
  name   = "net-${var.environment}"
}
