# A complete deployment of ocsfmap from the zips that
#   cargo lambda build --release --arm64 --output-format zip -p ingest
#   cargo lambda build --release --arm64 --output-format zip -p classify -p kb-rebuild
#   cargo lambda build --release --arm64 --output-format zip -p review
#   cargo lambda build --release --arm64 --output-format zip -p lake-export
# (ingest and review each on their own, so they do not link the classifier's ML stack, and
# lake-export on its own, so the others do not link Arrow and Parquet), or scripts/cross-build
# --zip writes (README "Deploy with Terraform"). Every module input is passed through, so this
# root takes the same settings as the SAM template's parameters. review is off until oidc_issuer
# is set (then review_zip must exist, and the review_* / oidc_* settings are checked); the
# Security Lake export is off until lake_bucket_name is set (then lake_export_zip must exist and
# lake_sources must be set; docs/lake.md).

module "ocsfmap" {
  source = "../../modules/ocsfmap"

  name            = var.name
  ingest_zip      = var.ingest_zip
  classify_zip    = var.classify_zip
  kb_rebuild_zip  = var.kb_rebuild_zip
  review_zip      = var.review_zip
  lake_export_zip = var.lake_export_zip
  tags            = var.tags

  clickhouse_url        = var.clickhouse_url
  clickhouse_user       = var.clickhouse_user
  clickhouse_database   = var.clickhouse_database
  clickhouse_secret_arn = var.clickhouse_secret_arn
  events_table          = var.events_table
  overrides_table       = var.overrides_table

  api_key_secret_arn         = var.api_key_secret_arn
  api_throttling_rate_limit  = var.api_throttling_rate_limit
  api_throttling_burst_limit = var.api_throttling_burst_limit

  confidence_threshold             = var.confidence_threshold
  ocsf_output_version              = var.ocsf_output_version
  classify_batch_size              = var.classify_batch_size
  classify_batching_window_seconds = var.classify_batching_window_seconds
  classify_max_concurrency         = var.classify_max_concurrency
  classify_memory_size             = var.classify_memory_size

  kb_rebuild_schedule    = var.kb_rebuild_schedule
  kb_sources_prefix      = var.kb_sources_prefix
  kb_versions_prefix     = var.kb_versions_prefix
  kb_pointer_key         = var.kb_pointer_key
  kb_rebuild_memory_size = var.kb_rebuild_memory_size
  model_layer_arn        = var.model_layer_arn
  model_dir              = var.model_dir

  oidc_issuer                 = var.oidc_issuer
  oidc_audience               = var.oidc_audience
  oidc_client_id              = var.oidc_client_id
  oidc_authorization_endpoint = var.oidc_authorization_endpoint
  oidc_token_endpoint         = var.oidc_token_endpoint
  oidc_scope                  = var.oidc_scope
  review_required_group       = var.review_required_group
  review_groups_claim         = var.review_groups_claim
  review_required_scope       = var.review_required_scope
  review_who_claim            = var.review_who_claim
  review_page_origin          = var.review_page_origin
  rebuild_debounce_seconds    = var.rebuild_debounce_seconds

  lake_bucket_name        = var.lake_bucket_name
  lake_prefix             = var.lake_prefix
  lake_sources            = var.lake_sources
  lake_role_arn           = var.lake_role_arn
  lake_external_id        = var.lake_external_id
  lake_kms_key_arn        = var.lake_kms_key_arn
  lake_account_id         = var.lake_account_id
  lake_region             = var.lake_region
  lake_interval_minutes   = var.lake_interval_minutes
  lake_omit_raw_data      = var.lake_omit_raw_data
  lake_export_memory_size = var.lake_export_memory_size

  log_retention_days  = var.log_retention_days
  log_level           = var.log_level
  alarm_email         = var.alarm_email
  secrets_kms_key_arn = var.secrets_kms_key_arn
}
