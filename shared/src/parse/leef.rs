//! IBM QRadar LEEF 1.0 / 2.0: `LEEF:Version|Vendor|Product|Version|EventID|[Delim|]attrs`.
//!
//! LEEF 1.0 attributes are tab-separated; 2.0 names its delimiter in a sixth header field
//! (a character, or `0x09`/`x09` hex). Producers that use spaces instead get the CEF-style
//! "value runs to the next ` key=`" rule.

use super::{cef, Field, Format, Record, MAX_FIELDS, TRUNCATED_KEY};

const HEADER_KEYS: [&str; 5] = ["leef_version", "vendor", "product", "product_version", "event_id"];

/// Parse a LEEF record (text starting with `LEEF:`). `None` when the header is cut short.
pub(crate) fn parse(s: &str) -> Option<Record> {
    let body = s.strip_prefix("LEEF:")?;
    let mut parts = body.splitn(6, '|');
    let mut fields = Vec::with_capacity(16);
    for key in HEADER_KEYS {
        fields.push(Field::new(key, parts.next()?.trim()));
    }
    // The event id must be followed by `|` (possibly with nothing after it).
    let mut rest = parts.next()?;
    let version = fields.first().map(|f| f.value.as_str()).unwrap_or_default();
    let mut delim = '\t';
    if version.starts_with('2') {
        if let Some((spec, after)) = rest.split_once('|') {
            if let Some(d) = delimiter(spec) {
                delim = d;
                rest = after;
            }
        }
    }
    push_attributes(&mut fields, rest, delim);
    Some(Record { format: Format::Leef, fields })
}

/// A LEEF 2.0 delimiter field: one character, or its code as `0xHH`/`xHH`.
fn delimiter(spec: &str) -> Option<char> {
    let mut chars = spec.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return (c != '=').then_some(c);
    }
    if spec == "\\t" {
        return Some('\t');
    }
    let lower = spec.to_ascii_lowercase();
    let hex = lower.strip_prefix("0x").or_else(|| lower.strip_prefix('x'))?;
    if hex.is_empty() || hex.len() > 4 {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

fn push_attributes(fields: &mut Vec<Field>, attrs: &str, delim: char) {
    if !attrs.contains(delim) && attrs.contains(' ') && attrs.matches('=').count() >= 2 {
        cef::push_extension(fields, attrs);
        return;
    }
    let base = fields.len();
    let mut rest = attrs;
    while !rest.is_empty() {
        let (piece, after) = rest.split_once(delim).unwrap_or((rest, ""));
        if fields.len() - base >= MAX_FIELDS {
            fields.push(Field::new(TRUNCATED_KEY, rest));
            return;
        }
        match piece.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => fields.push(Field::new(k.trim(), v)),
            // A piece without `=` is the delimiter appearing inside the previous value.
            _ => {
                if let Some(last) = fields.get_mut(base..).and_then(|f| f.last_mut()) {
                    last.value.push(delim);
                    last.value.push_str(piece);
                }
            }
        }
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leef1_tabs() {
        let r = parse("LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=10.50.1.1\tdst=2.10.20.20\tsev=5\tusrName=joe user").expect("leef");
        assert_eq!(r.format, Format::Leef);
        assert_eq!(r.get("leef_version"), Some("1.0"));
        assert_eq!(r.get("product_version"), Some("4.0 SP1"));
        assert_eq!(r.get("event_id"), Some("15345"));
        assert_eq!(r.get("usrName"), Some("joe user"));
        assert_eq!(r.fields.len(), 9);
    }

    #[test]
    fn leef2_delimiters() {
        let r =
            parse("LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^msg=a^b")
                .expect("leef");
        assert_eq!(r.get("dst"), Some("10.0.0.5"));
        assert_eq!(r.get("msg"), Some("a^b"));
        let r = parse("LEEF:2.0|V|P|1|41|0x09|a=1\tb=2").expect("leef");
        assert_eq!(r.get("b"), Some("2"));
        let r = parse("LEEF:2.0|V|P|1|41|x7C|a=1|b=2").expect("leef");
        assert_eq!(r.get("a"), Some("1"));
        assert_eq!(r.get("b"), Some("2"));
        // No delimiter field: attributes follow the event id directly.
        let r = parse("LEEF:2.0|V|P|1|41|a=1\tb=2").expect("leef");
        assert_eq!(r.get("a"), Some("1"));
    }

    #[test]
    fn space_separated_fallback() {
        let r =
            parse("LEEF:1.0|V|P|1|id|src=1.2.3.4 usrName=joe user msg=hello there").expect("leef");
        assert_eq!(r.get("usrName"), Some("joe user"));
        assert_eq!(r.get("msg"), Some("hello there"));
    }

    #[test]
    fn truncated() {
        assert!(parse("LEEF:1.0|V|P|1").is_none());
        assert!(parse("LEEF:1.0|V|P|1|id").is_none());
        assert_eq!(parse("LEEF:1.0|V|P|1|id|").map(|r| r.fields.len()), Some(5));
        assert!(delimiter("0x").is_none());
        assert!(delimiter("0xFFFFFFFF").is_none());
    }
}
