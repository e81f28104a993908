# The same outputs as template.yaml (ApiUrl -> api_url, ...).

output "api_url" {
  description = "POST logs here (x-api-key header or Authorization Bearer)."
  value       = "${aws_apigatewayv2_api.ingest.api_endpoint}/v1/logs"
}

output "api_key_secret_arn" {
  description = "Secret holding the ingest API key (aws secretsmanager get-secret-value --secret-id ARN)."
  value       = local.api_key_secret_arn
}

output "queue_url" {
  description = "Classify queue (ingest -> classify)."
  value       = aws_sqs_queue.classify.id
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue of the classify queue."
  value       = aws_sqs_queue.dead_letter.id
}

output "kb_bucket_name" {
  description = "KB bucket; upload the sources under kb_sources_prefix (schema/, examples/, knowledge/)."
  value       = aws_s3_bucket.kb.id
}

output "ingest_function_name" {
  value = aws_lambda_function.ingest.function_name
}

output "classify_function_name" {
  value = aws_lambda_function.classify.function_name
}

output "kb_rebuild_function_name" {
  description = "Invoke with {\"action\":\"rebuild\"} to rebuild at once."
  value       = aws_lambda_function.kb_rebuild.function_name
}

output "review_page_url" {
  description = "The review page (sign in with oidc_issuer); the API it calls is under /v1 on the same host. Null without oidc_issuer."
  value       = local.review_enabled ? "${aws_apigatewayv2_api.ingest.api_endpoint}/review" : null
}

output "review_function_name" {
  value = local.review_enabled ? aws_lambda_function.review[0].function_name : null
}

output "rebuild_queue_url" {
  description = "Rebuild requests (review -> kb-rebuild). Null without oidc_issuer."
  value       = local.review_enabled ? aws_sqs_queue.rebuild[0].id : null
}

output "lake_export_function_name" {
  description = "Exports the classified events to Security Lake every lake_interval_minutes (docs/lake.md). Null without lake_bucket_name."
  value       = local.lake_enabled ? aws_lambda_function.lake_export[0].function_name : null
}

output "lake_export_role_arn" {
  description = "lake-export's role: the principal to allow in the lake bucket's policy, or in the trust policy of lake_role_arn, when the lake is in another account. Null without lake_bucket_name."
  value       = local.lake_enabled ? aws_iam_role.lake_export[0].arn : null
}
