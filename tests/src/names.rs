//! Unique, valid resource names so that tests can run in parallel against
//! shared services without seeing each other's buckets, queues or tables.

use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name like `ingest-raw-3f9c1a2b7d40-7`: lowercase letters, digits and
/// hyphens, at most 63 characters — valid for S3 buckets, SQS queues and
/// EventBridge buses. `prefix` is sanitised and cut to 40 characters.
pub fn unique(prefix: &str) -> String {
    let mut clean: String = prefix
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    clean.truncate(40);
    let clean = clean.trim_matches('-');
    let clean = if clean.is_empty() { "t" } else { clean };
    format!("{clean}-{}-{}", random_hex(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Like [`unique`] with underscores: a valid SQL identifier (ClickHouse
/// databases and tables) that starts with a letter.
pub fn unique_ident(prefix: &str) -> String {
    let name = unique(prefix).replace('-', "_");
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("t_{name}")
    }
}

/// 12 hex digits from the random part of a v7 UUID (its low bits).
fn random_hex() -> String {
    let simple = uuid::Uuid::now_v7().simple().to_string();
    simple.get(simple.len() - 12..).unwrap_or(&simple).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_valid() {
        let a = unique("Ingest Raw/Bucket");
        let b = unique("Ingest Raw/Bucket");
        assert_ne!(a, b);
        assert!(a.starts_with("ingest-raw-bucket-"), "{a}");
        assert!(
            a.len() <= 63
                && a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        let long = unique(&"x".repeat(200));
        assert!(long.len() <= 63, "{long}");
        assert!(unique("--").starts_with("t-"));
        let ident = unique_ident("9db");
        assert!(ident.starts_with("t_9db_") && !ident.contains('-'), "{ident}");
    }
}
