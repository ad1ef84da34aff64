output "repository_url" {
  description = "repository url (stand-in value)."
  value       = terraform_data.this.output.values.repository_url
}

output "repository_name" {
  description = "repository name (stand-in value)."
  value       = terraform_data.this.output.values.repository_name
}
