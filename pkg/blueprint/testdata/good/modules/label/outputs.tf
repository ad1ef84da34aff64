output "id" {
  description = "The label."
  value       = local.id
}
