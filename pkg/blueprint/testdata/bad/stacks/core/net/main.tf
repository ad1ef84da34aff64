module "label" {
  source = "../../../modules/label"
  colour = "blue"
}

module "ghost" {
  source = "../../../modules/ghost"
}

locals {
  missing = module.label.nope
  stray   = module.nothing.id
}
