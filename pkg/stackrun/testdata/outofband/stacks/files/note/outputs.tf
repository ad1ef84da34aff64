output "path" {
  description = "The managed file."
  value       = local_file.note.filename
}
