# Inputs. Every SAM parameter of template.yaml has a variable here under the snake_case name
# (ClickHouseUrl -> clickhouse_url, ...), with the same default and the same constraint; the
# Terraform-only inputs are name, the three zip paths and tags.

# --------------------------------------------------------------------------- Terraform-only
variable "name" {
  description = "Prefix of every resource name (functions, queues, API, log groups, alarms)."
  type        = string
  default     = "ocsfmap"
  # 24 at most: IAM role name prefixes ("<name>-kb-rebuild-") are limited to 38 characters and
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
  description = "RUST_LOG filter for the three functions (error, warn, info, debug or a tracing filter such as info,ocsfmap=debug)."
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
