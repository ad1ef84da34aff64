output "path" {
  description = "This stack's position in the graph."
  value       = terraform_data.this.output.path
}
