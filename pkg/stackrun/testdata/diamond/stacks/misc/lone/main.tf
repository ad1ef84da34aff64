resource "terraform_data" "this" {
  input = {
    path = "lone-${var.environment}"
    tags = var.tags
  }
}
