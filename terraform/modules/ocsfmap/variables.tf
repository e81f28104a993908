# Inputs. Every SAM parameter of template.yaml has a variable here under the snake_case name
# (ClickHouseUrl -> clickhouse_url, ...), with the same default and the same constraint; the
# Terraform-only inputs are name, the zip paths and tags. The template's Rules (what review needs
# when oidc_issuer is set, and what lake-export needs when lake_bucket_name is set) are
# preconditions of aws_lambda_function.review and aws_lambda_function.lake_export here.

# --------------------------------------------------------------------------- Terraform-only
variable "name" {
  description = "Prefix of every resource name (functions, queues, API, log groups, alarms)."
  type        = string
  default     = "ocsfmap"
  # 24 at most: IAM role name prefixes ("<name>-lake-export-") are limited to 38 characters and
  # S3 bucket prefixes ("<name>-kb-") to 37.
  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,24}$", var.name))
    error_message = "name: 1-24 letters, digits or hyphens."
  }
}

variable "ingest_zip" {
  description = "Path of the ingest deployment package (cargo lambda build --release --arm64 --output-format zip -p ingest: target/lambda/ingest/bootstrap.zip)."
  type        = string
}

variable "classify_zip" {
  description = "Path of the classify deployment package (target/lambda/classify/bootstrap.zip)."
  type        = string
}

variable "kb_rebuild_zip" {
  description = "Path of the kb-rebuild deployment package (target/lambda/kb-rebuild/bootstrap.zip)."
  type        = string
}

variable "review_zip" {
  description = "Path of the review deployment package (target/lambda/review/bootstrap.zip). Required when oidc_issuer is set; unused otherwise."
  type        = string
  default     = null
}

variable "lake_export_zip" {
  description = "Path of the lake-export deployment package (target/lambda/lake-export/bootstrap.zip). Required when lake_bucket_name is set; unused otherwise."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

# --------------------------------------------------------------------------- ClickHouse
variable "clickhouse_url" {
  description = "ClickHouse HTTP(S) endpoint, e.g. https://abc.eu-west-1.aws.clickhouse.cloud:8443 (CLICKHOUSE_URL)."
  type        = string
  validation {
    condition     = can(regex("^https?://[^\\s/]+/?$", var.clickhouse_url))
    error_message = "clickhouse_url: http:// or https:// followed by host[:port], no path."
  }
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
  validation {
    condition     = can(regex("^[A-Za-z0-9_]+$", var.clickhouse_database))
    error_message = "clickhouse_database: letters, digits and _ only."
  }
}

variable "clickhouse_secret_arn" {
  description = "Secrets Manager secret holding the ClickHouse password, as a plain string or JSON with a \"password\" field (CLICKHOUSE_SECRET_ARN)."
  type        = string
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.clickhouse_secret_arn))
    error_message = "clickhouse_secret_arn: a Secrets Manager secret ARN."
  }
}

variable "events_table" {
  description = "Events table (EVENTS_TABLE)."
  type        = string
  default     = "events"
  validation {
    condition     = can(regex("^[A-Za-z0-9_]+$", var.events_table))
    error_message = "events_table: letters, digits and _ only."
  }
}

variable "overrides_table" {
  description = "Analysts' overrides table read by kb-rebuild (OVERRIDES_TABLE)."
  type        = string
  default     = "overrides"
  validation {
    condition     = can(regex("^[A-Za-z0-9_]+$", var.overrides_table))
    error_message = "overrides_table: letters, digits and _ only."
  }
}

# --------------------------------------------------------------------------- ingest API
variable "api_key_secret_arn" {
  description = "Secrets Manager secret holding the ingest API key (>= 16 characters), plain or JSON {\"api_key\": \"...\"} (API_KEY_SECRET_ARN). Empty: the module creates one with a random 40-character key (output api_key_secret_arn; the key is then also in the Terraform state)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.api_key_secret_arn))
    error_message = "api_key_secret_arn: empty or a Secrets Manager secret ARN."
  }
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

# --------------------------------------------------------------------------- classification
variable "confidence_threshold" {
  description = "Below it a row gets needs_review = true (CONFIDENCE_THRESHOLD)."
  type        = number
  default     = 0.6
  validation {
    condition     = var.confidence_threshold >= 0 && var.confidence_threshold <= 1
    error_message = "confidence_threshold: between 0 and 1."
  }
}

variable "ocsf_output_version" {
  description = "OCSF version of emitted events, 1.0.0 to 1.8.0 (OCSF_OUTPUT_VERSION); empty for the knowledge base's own. Upload that version's schema export to s3://<kb bucket>/ocsf/exports/<version>.json first (docs/ocsf-versions.md)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^[0-9]+\\.[0-9]+\\.[0-9]+$", var.ocsf_output_version))
    error_message = "ocsf_output_version: empty or MAJOR.MINOR.PATCH, e.g. 1.3.0."
  }
}

variable "classify_batch_size" {
  description = "SQS messages per classify invocation (each message holds up to 256 KiB of records; the 6 MB invocation payload caps a batch first)."
  type        = number
  default     = 100
  validation {
    condition     = var.classify_batch_size >= 1 && var.classify_batch_size <= 10000
    error_message = "classify_batch_size: 1-10000."
  }
}

variable "classify_batching_window_seconds" {
  description = "Seconds the event source mapping gathers messages before invoking classify."
  type        = number
  default     = 5
  validation {
    condition     = var.classify_batching_window_seconds >= 1 && var.classify_batching_window_seconds <= 300
    error_message = "classify_batching_window_seconds: 1-300."
  }
}

variable "classify_max_concurrency" {
  description = "Maximum concurrent classify invocations, i.e. concurrent ClickHouse inserts (docs/classify.md advises 2-10)."
  type        = number
  default     = 5
  validation {
    condition     = var.classify_max_concurrency >= 2 && var.classify_max_concurrency <= 1000
    error_message = "classify_max_concurrency: 2-1000."
  }
}

variable "classify_memory_size" {
  description = "classify memory in MB (1769 MB = one full vCPU; more memory adds cores, used by CLASSIFY_THREADS)."
  type        = number
  default     = 1769
}

# --------------------------------------------------------------------------- knowledge base
variable "kb_rebuild_schedule" {
  description = "EventBridge schedule expression for periodic rebuilds (picks up analysts' overrides), e.g. rate(6 hours) or cron(0 3 * * ? *)."
  type        = string
  default     = "rate(1 day)"
}

variable "kb_sources_prefix" {
  description = "Prefix of the KB inputs; uploads and deletions under it trigger kb-rebuild (KB_SOURCES_PREFIX)."
  type        = string
  default     = "kb/sources/"
  validation {
    condition     = can(regex("^[^/].*/$", var.kb_sources_prefix))
    error_message = "kb_sources_prefix: no leading slash, must end with /."
  }
}

variable "kb_versions_prefix" {
  description = "Prefix of the immutable KB artifacts (KB_VERSIONS_PREFIX). Must be outside the sources prefix."
  type        = string
  default     = "kb/versions/"
  validation {
    condition     = can(regex("^[^/].*/$", var.kb_versions_prefix))
    error_message = "kb_versions_prefix: no leading slash, must end with /."
  }
}

variable "kb_pointer_key" {
  description = "Key of the pointer kb-rebuild publishes and classify follows (KB_POINTER_KEY). Must be outside the sources prefix."
  type        = string
  default     = "kb/current.json"
  validation {
    condition     = can(regex("^[^/].*$", var.kb_pointer_key))
    error_message = "kb_pointer_key: an S3 key without a leading slash."
  }
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

# --------------------------------------------------------------------------- review
variable "oidc_issuer" {
  description = "OIDC issuer of the analysts' tokens, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf1 (the JWT authorizer's issuer, OIDC_ISSUER). Empty (the default): no review function, routes, authorizer, cursor secret or rebuild queue are deployed."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^https://\\S+$", var.oidc_issuer))
    error_message = "oidc_issuer: empty or an https:// URL."
  }
}

variable "oidc_audience" {
  description = "Audiences the JWT authorizer accepts: a token's aud claim, or its client_id when it has no aud (Amazon Cognito access tokens: the app client id). Required with oidc_issuer."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.oidc_audience : a != ""])
    error_message = "oidc_audience: no empty entry."
  }
}

variable "oidc_client_id" {
  description = "OAuth client the review page signs in with, authorization-code flow with PKCE, no client secret (OIDC_CLIENT_ID). Required with oidc_issuer."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^\\S*$", var.oidc_client_id))
    error_message = "oidc_client_id: no whitespace."
  }
}

variable "oidc_authorization_endpoint" {
  description = "The issuer's authorization endpoint, from its /.well-known/openid-configuration (OIDC_AUTHORIZATION_ENDPOINT). Required with oidc_issuer."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^https://\\S+$", var.oidc_authorization_endpoint))
    error_message = "oidc_authorization_endpoint: empty or an https:// URL."
  }
}

variable "oidc_token_endpoint" {
  description = "The issuer's token endpoint, from its /.well-known/openid-configuration (OIDC_TOKEN_ENDPOINT; the page's CSP allows connecting to its origin). Required with oidc_issuer."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^https://\\S+$", var.oidc_token_endpoint))
    error_message = "oidc_token_endpoint: empty or an https:// URL."
  }
}

variable "oidc_scope" {
  description = "Scopes the page asks for, space-separated (OIDC_SCOPE); include review_required_scope when you use it."
  type        = string
  default     = "openid email"
}

variable "review_required_group" {
  description = "Group a token must carry in review_groups_claim to use the review API (REVIEW_REQUIRED_GROUP). With oidc_issuer set, this or review_required_scope (or both) is required."
  type        = string
  default     = ""
}

variable "review_groups_claim" {
  description = "Claim holding the token's groups (REVIEW_GROUPS_CLAIM)."
  type        = string
  default     = "cognito:groups"
  validation {
    condition     = can(regex("^\\S+$", var.review_groups_claim))
    error_message = "review_groups_claim: a claim name, no whitespace."
  }
}

variable "review_required_scope" {
  description = "Scope a token must carry (scope or scp claim) to use the review API (REVIEW_REQUIRED_SCOPE). With oidc_issuer set, this or review_required_group (or both) is required."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^\\S*$", var.review_required_scope))
    error_message = "review_required_scope: one scope, no whitespace."
  }
}

variable "review_who_claim" {
  description = "Claim recorded as the analyst (who) of a correction, sub when the token lacks it (REVIEW_WHO_CLAIM)."
  type        = string
  default     = "email"
  validation {
    condition     = can(regex("^\\S+$", var.review_who_claim))
    error_message = "review_who_claim: a claim name, no whitespace."
  }
}

variable "review_page_origin" {
  description = "Origin of a review page served from elsewhere, e.g. https://review.example.com: the one origin the HTTP API's CORS allows (PAGE_ORIGIN). Empty: no CORS; the page the API serves itself (output review_page_url) is same-origin."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^https://[^\\s/]+$", var.review_page_origin))
    error_message = "review_page_origin: empty or https:// followed by host[:port], no path or trailing slash."
  }
}

variable "rebuild_debounce_seconds" {
  description = "Batching window of the rebuild queue's event source mapping: corrections within it become one kb-rebuild run (batches of up to 100 requests; 10 when 0, AWS's limit without a window)."
  type        = number
  default     = 30
  validation {
    condition     = var.rebuild_debounce_seconds >= 0 && var.rebuild_debounce_seconds <= 300 && floor(var.rebuild_debounce_seconds) == var.rebuild_debounce_seconds
    error_message = "rebuild_debounce_seconds: a whole number, 0-300."
  }
}

# --------------------------------------------------------------------------- Security Lake export
variable "lake_bucket_name" {
  description = "The Amazon Security Lake bucket the custom sources write to, e.g. aws-security-data-lake-eu-west-1-abc123 (LAKE_BUCKET). Empty (the default): no lake-export function, schedule, role or alarm is created; ClickHouse stays the only store."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_name))
    error_message = "lake_bucket_name: empty or an S3 bucket name."
  }
}

variable "lake_prefix" {
  description = "Key prefix inside the lake bucket, no leading or trailing slash (LAKE_PREFIX); files go under <prefix>/ext/<source>/. Empty (Security Lake's own layout): under ext/<source>/."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*$", var.lake_prefix))
    error_message = "lake_prefix: empty, or key segments separated by single slashes, no leading or trailing slash."
  }
}

variable "lake_sources" {
  description = "Custom source per OCSF class, <class uid>=<source name> pairs separated by commas, e.g. 3002=ocsfmap-auth,4001=ocsfmap-netact (LAKE_SOURCES); events of other classes stay in ClickHouse only. Required with lake_bucket_name. Each source is one you created in Security Lake for that class."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^[0-9]+=[A-Za-z0-9_-]{1,64}(,[0-9]+=[A-Za-z0-9_-]{1,64})*$", var.lake_sources))
    error_message = "lake_sources: empty or <class uid>=<source name> pairs separated by commas (names: 1-64 letters, digits, - or _)."
  }
}

variable "lake_role_arn" {
  description = "Role Security Lake created for the custom source (LAKE_ROLE_ARN); lake-export assumes it for every write and gets no lake-bucket permissions of its own. Empty: lake-export writes with its own role, which may then put and delete objects under ext/ (lake_prefix/ext/ with a prefix) of lake_bucket_name only."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.lake_role_arn))
    error_message = "lake_role_arn: empty or an IAM role ARN."
  }
}

variable "lake_external_id" {
  description = "External ID the custom source's role requires (LAKE_EXTERNAL_ID), the one given when the source was created. Only with lake_role_arn."
  type        = string
  default     = ""
  sensitive   = true
  # 2-1224 characters (STS); RE2 caps counted repetitions at 1000, hence the length() test.
  validation {
    condition     = var.lake_external_id == "" || (can(regex("^[A-Za-z0-9+=,.@:/_-]+$", var.lake_external_id)) && length(var.lake_external_id) >= 2 && length(var.lake_external_id) <= 1224)
    error_message = "lake_external_id: empty or 2-1224 characters of letters, digits and +=,.@:/_-."
  }
}

variable "lake_kms_key_arn" {
  description = "KMS key the lake bucket encrypts with (LAKE_KMS_KEY_ARN); objects are put with SSE-KMS and this key. Empty: the bucket's default encryption applies."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.lake_kms_key_arn))
    error_message = "lake_kms_key_arn: empty or a KMS key ARN."
  }
}

variable "lake_account_id" {
  description = "accountId partition value of the lake files (LAKE_ACCOUNT_ID). Empty: this deployment's account."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^[0-9]{12}$", var.lake_account_id))
    error_message = "lake_account_id: empty or 12 digits."
  }
}

variable "lake_region" {
  description = "region partition value of the lake files (LAKE_REGION). Empty: this deployment's region."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.lake_region))
    error_message = "lake_region: empty or an AWS region name such as eu-west-1."
  }
}

variable "lake_interval_minutes" {
  description = "Minutes between exports, i.e. the schedule and the span of time each file covers (LAKE_INTERVAL_MINUTES); 5 to 1440 and dividing a day."
  type        = number
  default     = 60
  # Security Lake's bounds for custom sources (every 5 minutes to once a day), and a divisor of
  # a day, which lake-export requires at init (its intervals are aligned to the UTC day).
  validation {
    condition     = var.lake_interval_minutes >= 5 && var.lake_interval_minutes <= 1440 && floor(var.lake_interval_minutes) == var.lake_interval_minutes && 1440 % var.lake_interval_minutes == 0
    error_message = "lake_interval_minutes: a whole number from 5 to 1440 that divides a day (5, 10, 15, 30, 60, 120, ... 1440)."
  }
}

variable "lake_omit_raw_data" {
  description = "true: leave raw_data (the record as received) out of the lake files; raw records can carry secrets the lake's readers should not see (LAKE_OMIT_RAW)."
  type        = bool
  default     = false
}

variable "lake_export_memory_size" {
  description = "lake-export memory in MB (an interval's events are held in memory while their Parquet files are written)."
  type        = number
  default     = 1024
  validation {
    condition     = var.lake_export_memory_size >= 512 && var.lake_export_memory_size <= 10240 && floor(var.lake_export_memory_size) == var.lake_export_memory_size
    error_message = "lake_export_memory_size: a whole number of MB, 512-10240."
  }
}

# --------------------------------------------------------------------------- operations
variable "log_retention_days" {
  description = "Retention of the functions' and the API's log groups, in days."
  type        = number
  default     = 30
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days: one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
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
  validation {
    condition     = can(regex("^$|^[^@\\s]+@[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email: empty or an e-mail address."
  }
}

variable "secrets_kms_key_arn" {
  description = "Optional customer-managed KMS key encrypting the secrets; the functions get kms:Decrypt through Secrets Manager only. Empty: secrets use the AWS managed key."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.secrets_kms_key_arn))
    error_message = "secrets_kms_key_arn: empty or a KMS key ARN."
  }
}
