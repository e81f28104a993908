output "api_url" {
  description = "POST logs here (x-api-key header or Authorization Bearer)."
  value       = module.ocsfmap.api_url
}

output "api_key_secret_arn" {
  description = "Secret holding the ingest API key."
  value       = module.ocsfmap.api_key_secret_arn
}

output "queue_url" {
  value = module.ocsfmap.queue_url
}

output "dead_letter_queue_url" {
  value = module.ocsfmap.dead_letter_queue_url
}

output "kb_bucket_name" {
  value = module.ocsfmap.kb_bucket_name
}

output "ingest_function_name" {
  value = module.ocsfmap.ingest_function_name
}

output "classify_function_name" {
  value = module.ocsfmap.classify_function_name
}

output "kb_rebuild_function_name" {
  value = module.ocsfmap.kb_rebuild_function_name
}

output "review_page_url" {
  description = "The review page (null without oidc_issuer)."
  value       = module.ocsfmap.review_page_url
}

output "review_function_name" {
  value = module.ocsfmap.review_function_name
}

output "rebuild_queue_url" {
  value = module.ocsfmap.rebuild_queue_url
}

output "lake_export_function_name" {
  description = "The Security Lake export (null without lake_bucket_name)."
  value       = module.ocsfmap.lake_export_function_name
}

output "lake_export_role_arn" {
  value = module.ocsfmap.lake_export_role_arn
}
