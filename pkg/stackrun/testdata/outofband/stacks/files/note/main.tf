# A resource with a real remote object (a file) that Terraform refreshes: an edit of the file outside
# Terraform is drift, a change of var.note is code not yet applied.
resource "local_file" "note" {
  filename = var.note_path
  content  = var.note
}
