//! ArcSight CEF: `CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|Extension`.
//!
//! Header fields escape `|` and `\` with a backslash. In the extension a value runs until the
//! next ` key=` (values may hold spaces); `\=`, `\\`, `\|`, `\n` and `\r` are unescaped.

use super::{Field, Format, Record, MAX_FIELDS, TRUNCATED_KEY};

const HEADER_KEYS: [&str; 7] = [
    "cef_version",
    "device_vendor",
    "device_product",
    "device_version",
    "signature_id",
    "name",
    "severity",
];

/// Parse a CEF record (text starting with `CEF:`). `None` when the header is cut short.
pub(crate) fn parse(s: &str) -> Option<Record> {
    let body = s.strip_prefix("CEF:")?;
    let mut fields = Vec::with_capacity(16);
    let mut rest = body;
    for key in HEADER_KEYS {
        let (value, after) = header_field(rest)?;
        fields.push(Field::new(key, value.trim()));
        rest = after;
    }
    push_extension(&mut fields, rest);
    Some(Record { format: Format::Cef, fields })
}

/// Split off one `|`-terminated header field, unescaping `\|` and `\\`.
fn header_field(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '|' => return Some((out, s.get(i + 1..).unwrap_or_default())),
            '\\' => match chars.next() {
                Some((_, n @ ('|' | '\\'))) => out.push(n),
                Some((_, n)) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    None
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Append `key=value` pairs where values run to the next ` key=`. Shared with LEEF's
/// fallback for producers that separate attributes with spaces.
pub(crate) fn push_extension(fields: &mut Vec<Field>, ext: &str) {
    let b = ext.as_bytes();
    // (key start, offset of its '=') for every key boundary, in order.
    let mut keys: Vec<(usize, usize)> = Vec::new();
    for eq in memchr::memchr_iter(b'=', b) {
        let mut k = eq;
        while k > 0 && b.get(k - 1).is_some_and(|&c| is_key_char(c)) {
            k -= 1;
        }
        let at_boundary = k == 0 || b.get(k - 1) == Some(&b' ');
        // A key right after a value's `\` would be an escaped `=`; key chars exclude `\`.
        if k < eq && at_boundary {
            keys.push((k, eq));
        }
    }
    let base = fields.len();
    for (n, &(k, eq)) in keys.iter().enumerate() {
        if fields.len() - base >= MAX_FIELDS {
            fields.push(Field::new(TRUNCATED_KEY, ext.get(k..).unwrap_or_default()));
            return;
        }
        let end = keys.get(n + 1).map_or(b.len(), |&(next, _)| next);
        let key = ext.get(k..eq).unwrap_or_default();
        let raw = ext.get(eq + 1..end).unwrap_or_default().trim_end();
        fields.push(Field::new(key, unescape_value(raw)));
    }
}

fn unescape_value(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(n @ ('=' | '\\' | '|')) => out.push(n),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_extension() {
        let raw = r"CEF:0|Security|threat\|manager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a threat. No action needed cs1Label=path cs1=C:\\Windows\\x a\=b";
        let r = parse(raw).expect("cef");
        assert_eq!(r.format, Format::Cef);
        assert_eq!(r.get("cef_version"), Some("0"));
        assert_eq!(r.get("device_product"), Some("threat|manager"));
        assert_eq!(r.get("name"), Some("worm successfully stopped"));
        assert_eq!(r.get("severity"), Some("10"));
        assert_eq!(r.get("src"), Some("10.0.0.1"));
        assert_eq!(r.get("msg"), Some("Detected a threat. No action needed"));
        assert_eq!(r.get("cs1"), Some(r"C:\Windows\x a=b"));
        assert_eq!(r.fields.len(), 7 + 6);
    }

    #[test]
    fn empty_extension_and_pipes_in_extension() {
        let r = parse("CEF:1|V|P|1|sig|n|Low|").expect("cef");
        assert_eq!(r.fields.len(), 7);
        let r = parse("CEF:0|V|P|1|sig|n|5|request=http://x/?a=b|c act=blocked").expect("cef");
        assert_eq!(r.get("request"), Some("http://x/?a=b|c"));
        assert_eq!(r.get("act"), Some("blocked"));
    }

    #[test]
    fn truncated_header_is_not_cef() {
        assert!(parse("CEF:0|Vendor|Product|1.0|100").is_none());
        assert!(parse("CEF:").is_none());
        assert!(parse("CEF:0|a|b|c|d|e|f\\").is_none());
    }

    #[test]
    fn junk_before_first_key_and_escaped_equals() {
        let r = parse(r"CEF:0|V|P|1|s|n|3| leading junk k1=v\=1 k2=").expect("cef");
        assert_eq!(r.get("k1"), Some("v=1"));
        assert_eq!(r.get("k2"), Some(""));
    }
}
