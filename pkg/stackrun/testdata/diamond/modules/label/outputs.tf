output "label" {
  description = "The label."
  value       = local.label
}
