resource "terraform_data" "this" {
  input = var.environment
}
