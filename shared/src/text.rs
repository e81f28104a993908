//! Lexical tokens shared by the index and the queries.
//!
//! Splits on punctuation, on camelCase and on letter/digit boundaries, and lowercases, so
//! that `SourceIPAddress`, `src_ip`, `source.ip` and `source-ip` share tokens.

/// Tokens of `s`, lowercased, in order. Empty pieces are dropped.
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(s, |t| out.push(t.to_string()));
    out
}

/// Calls `f` for every token of `s` (lowercased), without allocating per call.
pub fn for_each_token(s: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    for word in s.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        split_case(word, |piece| {
            buf.clear();
            buf.extend(piece.chars().flat_map(char::to_lowercase));
            f(&buf);
        });
    }
}

/// Like [`for_each_token`], but skips words that look generated (see [`looks_generated`]):
/// their case and digit pieces (`NtktlJHV4TfBSK3wv` → `ntktl`, `jhv`, `tf`, ...) are unique
/// in any index, so one shared random name would outweigh everything a record says.
pub fn for_each_value_token(s: &str, mut f: impl FnMut(&str)) {
    for word in s.split(|c: char| !c.is_alphanumeric()) {
        if !word.is_empty() && !looks_generated(word) {
            for_each_token(word, &mut f);
        }
    }
}

/// A random-looking word: ten or more characters with letters and at least two separate runs
/// of digits (`NtktlJHV4TfBSK3wv`, `web01prod02`). Names of things (`AmazonS3FullAccess`,
/// `Win32`, `sha256`) have one run at most.
pub fn looks_generated(word: &str) -> bool {
    if word.len() < 10 || !word.bytes().any(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let mut runs = 0;
    let mut prev_digit = false;
    for b in word.bytes() {
        let d = b.is_ascii_digit();
        if d && !prev_digit {
            runs += 1;
        }
        prev_digit = d;
    }
    runs >= 2
}

/// Splits one alphanumeric word at lower→Upper, ACRONYMWord and letter↔digit boundaries.
fn split_case(word: &str, mut f: impl FnMut(&str)) {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut start = 0;
    for i in 1..chars.len() {
        let (_, prev) = chars[i - 1];
        let (pos, cur) = chars[i];
        let next_lower = chars.get(i + 1).is_some_and(|&(_, n)| n.is_lowercase());
        let boundary = (prev.is_lowercase() && cur.is_uppercase())
            || (prev.is_uppercase() && cur.is_uppercase() && next_lower)
            || (prev.is_alphabetic() && cur.is_ascii_digit())
            || (prev.is_ascii_digit() && cur.is_alphabetic());
        if boundary {
            f(&word[start..pos]);
            start = pos;
        }
    }
    if start < word.len() {
        f(&word[start..]);
    }
}

/// Common abbreviations in log field names, expanded so they meet the schema's words.
pub fn expand_abbreviation(token: &str) -> Option<&'static str> {
    Some(match token {
        "src" => "source",
        "dst" | "dest" => "destination",
        "addr" => "address",
        "ip" | "ipaddr" => "ip",
        "usr" => "user",
        "uid" => "uid",
        "pid" => "process",
        "ppid" => "parent",
        "proc" => "process",
        "cmd" | "cmdline" => "command",
        "req" => "request",
        "resp" | "res" => "response",
        "auth" | "authn" => "authentication",
        "authz" => "authorization",
        "svc" => "service",
        "msg" => "message",
        "dns" => "dns",
        "fw" => "firewall",
        "conn" => "connection",
        "sess" => "session",
        "acct" => "account",
        "pwd" | "passwd" => "password",
        "login" | "logon" | "signin" => "logon",
        "logout" | "logoff" | "signout" => "logoff",
        "grp" => "group",
        "perm" | "perms" => "permission",
        "proto" => "protocol",
        "pkt" | "pkts" => "packets",
        "dir" => "directory",
        "db" => "database",
        "vuln" => "vulnerability",
        _ => return None,
    })
}

/// An error and its chain of sources as one line (`outer: inner: root`): AWS SDK errors say
/// little at the top ("dispatch failure") and the cause only further down.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// A secret's value: its `field` when the text is a JSON object with that string field,
/// else the text itself (Secrets Manager secrets are stored either way).
pub fn secret_field(text: &str, field: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get(field).and_then(|p| p.as_str()).map(str::to_string))
        .unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_name_styles_share_tokens() {
        assert_eq!(tokens("SourceIPAddress"), vec!["source", "ip", "address"]);
        assert_eq!(tokens("src_ip"), vec!["src", "ip"]);
        assert_eq!(tokens("source.ip"), vec!["source", "ip"]);
        assert_eq!(tokens("id.orig_h"), vec!["id", "orig", "h"]);
        assert_eq!(tokens("eventName"), vec!["event", "name"]);
        assert_eq!(tokens("EventID=4624"), vec!["event", "id", "4624"]);
        assert_eq!(tokens("ipv4Address"), vec!["ipv", "4", "address"]);
    }

    #[test]
    fn generated_words_have_no_value_tokens() {
        let mut got = Vec::new();
        for_each_value_token("Invalid user crowdsec-test-NtktlJHV4TfBSK3wvlhiOBnl from web01prod02 AmazonS3FullAccess", |t| got.push(t.to_string()));
        assert_eq!(
            got,
            vec![
                "invalid", "user", "crowdsec", "test", "from", "amazon", "s", "3", "full", "access"
            ]
        );
        assert!(
            !looks_generated("Win32")
                && !looks_generated("sha256WithRSA")
                && !looks_generated("12345678901")
        );
    }

    #[test]
    fn punctuation_and_unicode_are_safe() {
        assert!(tokens("").is_empty());
        assert!(tokens("-- :: //").is_empty());
        assert_eq!(tokens("Ünïcode ÄÖ"), vec!["ünïcode", "äö"]);
        assert_eq!(tokens("a\u{0}b"), vec!["a", "b"]);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Inner);
    #[derive(Debug, thiserror::Error)]
    #[error("inner")]
    struct Inner(#[source] std::io::Error);

    #[test]
    fn joins_every_source() {
        let e = Outer(Inner(std::io::Error::other("root")));
        assert_eq!(error_chain(&e), "outer: inner: root");
    }
}
