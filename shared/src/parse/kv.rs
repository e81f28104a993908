//! `key=value` scanning, shared by the kv format, syslog messages and the text fallback.
//!
//! Pairs are whitespace-separated; a value is a bare token, or a `"double"` (backslash
//! escapes) or `'single'` quoted string. A quote left open runs to the end of the input, so an
//! unbalanced quote loses no text. Anything else is a bare word and is only counted.

use std::borrow::Cow;

use super::{clip, Field, Format, Record, MAX_FIELDS, MAX_SEGMENT, TRUNCATED_KEY};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quote {
    None,
    Double,
    Single,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair<'a> {
    pub key: &'a str,
    pub value: Cow<'a, str>,
    pub quote: Quote,
}

#[derive(Debug, Default)]
pub(crate) struct Scan<'a> {
    pub pairs: Vec<Pair<'a>>,
    /// Tokens that were not `key=value`.
    pub bare: usize,
    /// Byte offset where scanning stopped because of the field cap.
    pub capped_at: Option<usize>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_key_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'@'
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'@')
}

/// Scan `s` for `key=value` pairs.
pub(crate) fn scan(s: &str) -> Scan<'_> {
    let b = s.as_bytes();
    let mut out = Scan::default();
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(|&c| is_ws(c)) {
            i += 1;
        }
        let Some(&first) = b.get(i) else { break };
        if out.pairs.len() >= MAX_FIELDS {
            out.capped_at = Some(i);
            break;
        }
        if is_key_start(first) {
            let mut j = i + 1;
            while b.get(j).is_some_and(|&c| is_key_char(c)) {
                j += 1;
            }
            if b.get(j) == Some(&b'=') {
                let key = s.get(i..j).unwrap_or_default();
                let (value, quote, next) = read_value(s, j + 1);
                out.pairs.push(Pair { key, value, quote });
                i = next;
                continue;
            }
        }
        while b.get(i).is_some_and(|&c| !is_ws(c)) {
            i += 1;
        }
        out.bare += 1;
    }
    out
}

/// Read a value starting at byte `i`; returns it, its quoting and the offset after it.
fn read_value(s: &str, i: usize) -> (Cow<'_, str>, Quote, usize) {
    let b = s.as_bytes();
    let token_end = |from: usize| {
        let mut j = from;
        while b.get(j).is_some_and(|&c| !is_ws(c)) {
            j += 1;
        }
        j
    };
    let quote = match b.get(i) {
        Some(b'"') => Quote::Double,
        Some(b'\'') => Quote::Single,
        _ => {
            let end = token_end(i);
            return (Cow::Borrowed(s.get(i..end).unwrap_or_default()), Quote::None, end);
        }
    };
    let q = if quote == Quote::Double { b'"' } else { b'\'' };
    let mut j = i + 1;
    let mut escaped = false;
    while let Some(&c) = b.get(j) {
        if c == b'\\' && quote == Quote::Double {
            escaped = true;
            j += 2;
            continue;
        }
        if c == q {
            break;
        }
        j += 1;
    }
    if j >= b.len() {
        // Unbalanced quote: the rest of the input is the value.
        let rest = s.get(i + 1..).unwrap_or_default().trim_end();
        return (unescape(rest, escaped), quote, b.len());
    }
    let inner = unescape(s.get(i + 1..j).unwrap_or_default(), escaped);
    // Text glued to the closing quote (`a="x"y`) stays part of the value.
    let end = token_end(j + 1);
    if end > j + 1 {
        let mut v = inner.into_owned();
        v.push_str(s.get(j + 1..end).unwrap_or_default());
        return (Cow::Owned(v), quote, end);
    }
    (inner, quote, end)
}

fn unescape(s: &str, has_escapes: bool) -> Cow<'_, str> {
    if !has_escapes {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Append the pairs as fields; `rename` may change a key (e.g. prefix on collision).
/// A single-quoted value that itself holds ≥2 pairs (auditd's `msg='op=... acct="x"'`) is
/// also expanded into `key.inner` fields after it.
pub(crate) fn push_fields(
    fields: &mut Vec<Field>,
    scan: &Scan<'_>,
    src: &str,
    rename: impl Fn(&str) -> String,
) {
    for p in &scan.pairs {
        if fields.len() >= MAX_FIELDS {
            break;
        }
        let key = rename(p.key);
        if p.quote == Quote::Single {
            let inner = self::scan(&p.value);
            if inner.pairs.len() >= 2 {
                let prefix = clip(&key, MAX_SEGMENT).to_owned();
                fields.push(Field::new(key, p.value.as_ref()));
                for ip in &inner.pairs {
                    fields.push(Field::new(
                        format!("{prefix}.{}", clip(ip.key, MAX_SEGMENT)),
                        ip.value.as_ref(),
                    ));
                }
                continue;
            }
        }
        fields.push(Field::new(key, p.value.as_ref()));
    }
    if let Some(at) = scan.capped_at {
        fields.push(Field::new(TRUNCATED_KEY, src.get(at..).unwrap_or_default()));
    }
}

/// A whole record of `key=value` pairs: at least two pairs and no more bare words than pairs.
/// Bare words (netfilter's `DF`, `SYN`) are kept by appending the line as `message`.
pub(crate) fn parse(s: &str) -> Option<Record> {
    let scan = scan(s);
    if scan.pairs.len() < 2 || scan.bare > scan.pairs.len() {
        return None;
    }
    let mut fields = Vec::with_capacity(scan.pairs.len() + 1);
    push_fields(&mut fields, &scan, s, str::to_owned);
    if scan.bare > 0 {
        fields.push(Field::new("message", s));
    }
    Some(Record { format: Format::KeyValue, fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        scan(s).pairs.iter().map(|p| (p.key.to_owned(), p.value.to_string())).collect()
    }

    #[test]
    fn auditd_syscall_line() {
        let raw = r#"type=SYSCALL msg=audit(1684331782.607:3299): arch=c000003e syscall=59 success=yes exit=0 comm="rm" exe="/bin/rm" key=(null)"#;
        let r = parse(raw).expect("kv");
        assert_eq!(r.format, Format::KeyValue);
        assert_eq!(r.get("type"), Some("SYSCALL"));
        assert_eq!(r.get("msg"), Some("audit(1684331782.607:3299):"));
        assert_eq!(r.get("comm"), Some("rm"));
        assert_eq!(r.get("key"), Some("(null)"));
        assert_eq!(r.get("message"), None);
    }

    #[test]
    fn auditd_single_quoted_msg_is_expanded() {
        let raw = r#"type=USER_START msg=audit(1.2:3): pid=1 uid=0 msg='op=PAM:session_open acct="root" exe="/usr/sbin/sshd" res=success'"#;
        let r = parse(raw).expect("kv");
        assert_eq!(r.get("msg.acct"), Some("root"));
        assert_eq!(r.get("msg.res"), Some("success"));
    }

    #[test]
    fn fortigate_quoted_values_and_empty_values() {
        let raw = r#"date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" msg="a \"quoted\" word" OUT= srcip=10.0.0.1"#;
        let p = pairs(raw);
        assert_eq!(p[2], ("logid".into(), "0000000013".into()));
        assert_eq!(p[4], ("msg".into(), "a \"quoted\" word".into()));
        assert_eq!(p[5], ("OUT".into(), "".into()));
        assert_eq!(p[6], ("srcip".into(), "10.0.0.1".into()));
    }

    #[test]
    fn unbalanced_quote_runs_to_end() {
        let p = pairs(r#"a=1 b="hello world c=3"#);
        assert_eq!(p, vec![("a".into(), "1".into()), ("b".into(), "hello world c=3".into())]);
        let p = pairs(r#"a='x"#);
        assert_eq!(p, vec![("a".into(), "x".into())]);
        let p = pairs("a=\"x\\");
        assert_eq!(p, vec![("a".into(), "x\\".into())]);
    }

    #[test]
    fn not_keys() {
        // URL query strings, numbers and `key = value` with spaces are not pairs.
        let s = scan("GET /foo?a=1 http://x/?q=2 1=2 k = v");
        assert!(s.pairs.is_empty());
        assert_eq!(s.bare, 7);
    }

    #[test]
    fn kv_needs_two_pairs_and_mostly_pairs() {
        assert!(parse("a=1").is_none());
        assert!(parse("user logged in from a=b c=d now").is_none());
        let r = parse("IN=lo OUT= SRC=1.2.3.4 DF PROTO=TCP").expect("kv");
        assert_eq!(r.get("OUT"), Some(""));
        assert_eq!(r.fields.last().map(|f| f.key.as_str()), Some("message"));
    }

    #[test]
    fn field_cap() {
        let s = "a=1 ".repeat(MAX_FIELDS + 10);
        let r = parse(&s).expect("kv");
        assert_eq!(r.fields.len(), MAX_FIELDS + 1);
        assert_eq!(r.fields[MAX_FIELDS].key, TRUNCATED_KEY);
    }
}
