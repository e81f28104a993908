//! Configuration from environment variables, checked once at init. Every error names the
//! variable and says what is wrong, so a misconfigured function fails its init with a line
//! an operator can act on. No error repeats the value: a URL or a key can carry a
//! credential, and init errors end up in logs and in the invoker's error message.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error("environment variable {name} is required: {what}")]
    Missing { name: String, what: String },
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
}

impl EnvError {
    pub fn invalid(name: &str, reason: impl Into<String>) -> Self {
        EnvError::Invalid { name: name.into(), reason: reason.into() }
    }
}

/// A snapshot of the environment (tests build one from pairs instead of mutating the
/// process environment).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Env { vars: std::env::vars().collect() }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// The trimmed value; unset and blank are the same.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_string()
    }

    /// `what` says what the variable is for, for the error message.
    pub fn required(&self, name: &str, what: &str) -> Result<String, EnvError> {
        self.get(name)
            .map(str::to_string)
            .ok_or_else(|| EnvError::Missing { name: name.into(), what: what.into() })
    }

    pub fn parse_or<T: FromStr>(&self, name: &str, default: T) -> Result<T, EnvError>
    where
        T::Err: Display,
    {
        match self.get(name) {
            None => Ok(default),
            // The parser's message can quote the input; say what was expected instead.
            Some(v) => v.parse().map_err(|_: T::Err| {
                EnvError::invalid(name, format!("not a valid {}", short_type_name::<T>()))
            }),
        }
    }

    /// A whole number of milliseconds within `range`.
    pub fn millis_or(
        &self,
        name: &str,
        default: Duration,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, EnvError> {
        let ms: u64 = self.parse_or(name, default.as_millis() as u64)?;
        if !range.contains(&ms) {
            return Err(EnvError::invalid(
                name,
                format!("must be between {} and {} ms", range.start(), range.end()),
            ));
        }
        Ok(Duration::from_millis(ms))
    }

    /// A number within `range` (e.g. a probability in 0..=1).
    pub fn f32_in(
        &self,
        name: &str,
        default: f32,
        range: std::ops::RangeInclusive<f32>,
    ) -> Result<f32, EnvError> {
        let v: f32 = self.parse_or(name, default)?;
        if !v.is_finite() || !range.contains(&v) {
            return Err(EnvError::invalid(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            ));
        }
        Ok(v)
    }
}

/// `u32`, `f32`, `bool`: the last path segment of the type's name.
fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_defaults_and_errors_name_the_variable() {
        let env = Env::from_pairs([
            ("A", " x "),
            ("BLANK", "  "),
            ("N", "12"),
            ("BAD", "1.5x"),
            ("P", "0.7"),
            ("P2", "1.7"),
        ]);
        assert_eq!(env.get("A"), Some("x"));
        assert_eq!(env.get("BLANK"), None);
        assert_eq!(env.string_or("BLANK", "d"), "d");
        assert_eq!(env.parse_or("N", 1u32), Ok(12));
        assert_eq!(env.parse_or("MISSING", 1u32), Ok(1));
        let e = env.parse_or("BAD", 1u32).unwrap_err();
        assert_eq!(e.to_string(), "environment variable BAD is invalid: not a valid u32");
        let e = env.required("NOPE", "the bucket holding the KB").unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment variable NOPE is required: the bucket holding the KB"
        );
        assert_eq!(env.f32_in("P", 0.5, 0.0..=1.0), Ok(0.7));
        assert!(env.f32_in("P2", 0.5, 0.0..=1.0).unwrap_err().to_string().contains("P2"));
        assert_eq!(env.millis_or("N", Duration::ZERO, 0..=100), Ok(Duration::from_millis(12)));
        assert!(env.millis_or("N", Duration::ZERO, 100..=200).is_err());
    }

    #[test]
    fn errors_never_repeat_the_value() {
        let secret = "https://user:hunter2@db.example:8443";
        let env = Env::from_pairs([("URL_AS_NUMBER", secret), ("P", secret)]);
        let errors = [
            env.parse_or("URL_AS_NUMBER", 1u32).unwrap_err(),
            env.f32_in("P", 0.5, 0.0..=1.0).unwrap_err(),
            env.millis_or("P", Duration::ZERO, 0..=1).unwrap_err(),
        ];
        for e in errors {
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }
}
