# The module's inputs (terraform/modules/ocsfmap/variables.tf), passed through by main.tf;
# the zips default to where `cargo lambda build --output-format zip` writes them.

variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "name" {
  description = "Prefix of every resource name (functions, queues, API, log groups, alarms)."
  type        = string
  default     = "ocsfmap"
}

variable "ingest_zip" {
  description = "Path of the ingest deployment package (cargo lambda build --release --arm64 --output-format zip -p ingest: target/lambda/ingest/bootstrap.zip)."
  type        = string
  default     = "../../../target/lambda/ingest/bootstrap.zip"
}

variable "classify_zip" {
  description = "Path of the classify deployment package (target/lambda/classify/bootstrap.zip)."
  type        = string
  default     = "../../../target/lambda/classify/bootstrap.zip"
}

variable "kb_rebuild_zip" {
  description = "Path of the kb-rebuild deployment package (target/lambda/kb-rebuild/bootstrap.zip)."
  type        = string
  default     = "../../../target/lambda/kb-rebuild/bootstrap.zip"
}

variable "review_zip" {
  description = "Path of the review deployment package (target/lambda/review/bootstrap.zip); used only with oidc_issuer set."
  type        = string
  default     = "../../../target/lambda/review/bootstrap.zip"
}

variable "lake_export_zip" {
  description = "Path of the lake-export deployment package (target/lambda/lake-export/bootstrap.zip); used only with lake_bucket_name set."
  type        = string
  default     = "../../../target/lambda/lake-export/bootstrap.zip"
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "clickhouse_url" {
  description = "ClickHouse HTTP(S) endpoint, e.g. https://abc.eu-west-1.aws.clickhouse.cloud:8443 (CLICKHOUSE_URL)."
  type        = string
}

variable "clickhouse_user" {
  description = "ClickHouse user (CLICKHOUSE_USER)."
  type        = string
  default     = "default"
}

variable "clickhouse_database" {
  description = "Database holding the events and overrides tables (CLICKHOUSE_DATABASE). Create the tables with `ocsfmap migrate` before the first batch."
  type        = string
  default     = "default"
}

variable "clickhouse_secret_arn" {
  description = "Secrets Manager secret holding the ClickHouse password, as a plain string or JSON with a \"password\" field (CLICKHOUSE_SECRET_ARN)."
  type        = string
}

variable "events_table" {
  description = "Events table (EVENTS_TABLE)."
  type        = string
  default     = "events"
}

variable "overrides_table" {
  description = "Analysts' overrides table read by kb-rebuild (OVERRIDES_TABLE)."
  type        = string
  default     = "overrides"
}

variable "api_key_secret_arn" {
  description = "Secrets Manager secret holding the ingest API key (>= 16 characters), plain or JSON {\"api_key\": \"...\"} (API_KEY_SECRET_ARN). Empty: the module creates one with a random 40-character key (output api_key_secret_arn; the key is then also in the Terraform state)."
  type        = string
  default     = ""
}

variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second accepted by the HTTP API stage (each request carries up to 5 MB of logs)."
  type        = number
  default     = 100
}

variable "api_throttling_burst_limit" {
  description = "Burst of requests accepted by the HTTP API stage."
  type        = number
  default     = 200
}

variable "confidence_threshold" {
  description = "Below it a row gets needs_review = true (CONFIDENCE_THRESHOLD)."
  type        = number
  default     = 0.6
}

variable "ocsf_output_version" {
  description = "OCSF version of emitted events (empty: the knowledge base's own); see the module's variable."
  type        = string
  default     = ""
}

variable "classify_batch_size" {
  description = "SQS messages per classify invocation (each message holds up to 256 KiB of records; the 6 MB invocation payload caps a batch first)."
  type        = number
  default     = 100
}

variable "classify_batching_window_seconds" {
  description = "Seconds the event source mapping gathers messages before invoking classify."
  type        = number
  default     = 5
}

variable "classify_max_concurrency" {
  description = "Maximum concurrent classify invocations, i.e. concurrent ClickHouse inserts (docs/classify.md advises 2-10)."
  type        = number
  default     = 5
}

variable "classify_memory_size" {
  description = "classify memory in MB (1769 MB = one full vCPU; more memory adds cores, used by CLASSIFY_THREADS)."
  type        = number
  default     = 1769
}

variable "kb_rebuild_schedule" {
  description = "EventBridge schedule expression for periodic rebuilds (picks up analysts' overrides), e.g. rate(6 hours) or cron(0 3 * * ? *)."
  type        = string
  default     = "rate(1 day)"
}

variable "kb_sources_prefix" {
  description = "Prefix of the KB inputs; uploads and deletions under it trigger kb-rebuild (KB_SOURCES_PREFIX)."
  type        = string
  default     = "kb/sources/"
}

variable "kb_versions_prefix" {
  description = "Prefix of the immutable KB artifacts (KB_VERSIONS_PREFIX). Must be outside the sources prefix."
  type        = string
  default     = "kb/versions/"
}

variable "kb_pointer_key" {
  description = "Key of the pointer kb-rebuild publishes and classify follows (KB_POINTER_KEY). Must be outside the sources prefix."
  type        = string
  default     = "kb/current.json"
}

variable "kb_rebuild_memory_size" {
  description = "kb-rebuild memory in MB (lexical builds need ~100 MB; dense builds are CPU-bound, 3008+ MB gives them two vCPUs)."
  type        = number
  default     = 2048
}

variable "model_layer_arn" {
  description = "Optional Lambda layer holding the all-MiniLM-L6-v2 model directory for dense search. Empty: lexical classification only (OCSFMAP_MODEL_DIR unset)."
  type        = string
  default     = ""
}

variable "model_dir" {
  description = "Model directory inside the layer (OCSFMAP_MODEL_DIR when model_layer_arn is set); a layer zip with minilm/ at its root unpacks to /opt/minilm."
  type        = string
  default     = "/opt/minilm"
}

variable "oidc_issuer" {
  description = "OIDC issuer of the analysts' tokens (OIDC_ISSUER, the JWT authorizer's issuer). Empty: no review function, routes, authorizer, cursor secret or rebuild queue."
  type        = string
  default     = ""
}

variable "oidc_audience" {
  description = "Audiences the JWT authorizer accepts (aud, or client_id when a token has no aud: the Cognito app client id). Required with oidc_issuer."
  type        = list(string)
  default     = []
}

variable "oidc_client_id" {
  description = "OAuth client the review page signs in with, authorization-code flow with PKCE (OIDC_CLIENT_ID). Required with oidc_issuer."
  type        = string
  default     = ""
}

variable "oidc_authorization_endpoint" {
  description = "The issuer's authorization endpoint (OIDC_AUTHORIZATION_ENDPOINT). Required with oidc_issuer."
  type        = string
  default     = ""
}

variable "oidc_token_endpoint" {
  description = "The issuer's token endpoint (OIDC_TOKEN_ENDPOINT). Required with oidc_issuer."
  type        = string
  default     = ""
}

variable "oidc_scope" {
  description = "Scopes the page asks for, space-separated (OIDC_SCOPE)."
  type        = string
  default     = "openid email"
}

variable "review_required_group" {
  description = "Group a token must carry to use the review API (REVIEW_REQUIRED_GROUP); this or review_required_scope is required with oidc_issuer."
  type        = string
  default     = ""
}

variable "review_groups_claim" {
  description = "Claim holding the token's groups (REVIEW_GROUPS_CLAIM)."
  type        = string
  default     = "cognito:groups"
}

variable "review_required_scope" {
  description = "Scope a token must carry to use the review API (REVIEW_REQUIRED_SCOPE); this or review_required_group is required with oidc_issuer."
  type        = string
  default     = ""
}

variable "review_who_claim" {
  description = "Claim recorded as the analyst of a correction (REVIEW_WHO_CLAIM)."
  type        = string
  default     = "email"
}

variable "review_page_origin" {
  description = "Origin of a review page served from elsewhere: the one origin CORS allows (PAGE_ORIGIN). Empty: no CORS."
  type        = string
  default     = ""
}

variable "rebuild_debounce_seconds" {
  description = "Batching window of the rebuild queue: corrections within it become one kb-rebuild run (0-300)."
  type        = number
  default     = 30
}

variable "lake_bucket_name" {
  description = "The Amazon Security Lake bucket the custom sources write to (LAKE_BUCKET). Empty: no Security Lake export."
  type        = string
  default     = ""
}

variable "lake_prefix" {
  description = "Key prefix inside the lake bucket, no leading or trailing slash (LAKE_PREFIX). Empty: Security Lake's own layout (ext/<source>/)."
  type        = string
  default     = ""
}

variable "lake_sources" {
  description = "Custom source per OCSF class, <class uid>=<source name> pairs separated by commas (LAKE_SOURCES); required with lake_bucket_name."
  type        = string
  default     = ""
}

variable "lake_role_arn" {
  description = "Role Security Lake created for the custom source (LAKE_ROLE_ARN). Empty: lake-export writes under ext/ with its own role."
  type        = string
  default     = ""
}

variable "lake_external_id" {
  description = "External ID of lake_role_arn (LAKE_EXTERNAL_ID)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "lake_kms_key_arn" {
  description = "KMS key the lake bucket encrypts with (LAKE_KMS_KEY_ARN). Empty: the bucket's default encryption."
  type        = string
  default     = ""
}

variable "lake_account_id" {
  description = "accountId partition value of the lake files (LAKE_ACCOUNT_ID). Empty: this deployment's account."
  type        = string
  default     = ""
}

variable "lake_region" {
  description = "region partition value of the lake files (LAKE_REGION). Empty: this deployment's region."
  type        = string
  default     = ""
}

variable "lake_interval_minutes" {
  description = "Minutes between exports, 5-1440 and dividing a day (LAKE_INTERVAL_MINUTES)."
  type        = number
  default     = 60
}

variable "lake_omit_raw_data" {
  description = "true: leave raw_data out of the lake files (LAKE_OMIT_RAW)."
  type        = bool
  default     = false
}

variable "lake_export_memory_size" {
  description = "lake-export memory in MB."
  type        = number
  default     = 1024
}

variable "log_retention_days" {
  description = "Retention of the functions' and the API's log groups, in days."
  type        = number
  default     = 30
}

variable "log_level" {
  description = "RUST_LOG filter for the functions (error, warn, info, debug or a tracing filter such as info,ocsfmap=debug)."
  type        = string
  default     = "info"
}

variable "alarm_email" {
  description = "Optional address subscribed to an SNS topic that receives the alarms. Empty: no topic, alarms only show in CloudWatch."
  type        = string
  default     = ""
}

variable "secrets_kms_key_arn" {
  description = "Optional customer-managed KMS key encrypting the secrets; the functions get kms:Decrypt through Secrets Manager only. Empty: secrets use the AWS managed key."
  type        = string
  default     = ""
}
