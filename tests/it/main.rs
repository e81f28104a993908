//! Integration tests: one binary, one module per area. They need the test
//! services (LocalStack, ClickHouse): run them with `scripts/test`, or start
//! the services with `scripts/services up` and use `cargo test`.

mod classify;
mod e2e;
mod harness;
mod ingest;
mod init;
mod kb_rebuild;
mod lake;
mod review;
mod review_page;
