resource "terraform_data" "this" {
  input = {
    path = var.seed
    tags = var.tags
  }
}
