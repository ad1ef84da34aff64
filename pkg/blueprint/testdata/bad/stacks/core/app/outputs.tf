output "net" {
  description = "Network the app runs in."
  value       = local.net
}
