output "id" {
  description = "Network id."
  value       = module.label.id
}
