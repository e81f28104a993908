//! Apache/Nginx access logs, common and combined:
//! `[vhost] client ident user [time] "request" status bytes ["referrer" "user-agent"] [extra...]`.
//!
//! A request line that is not `METHOD target [PROTOCOL]` (`"-"`, TLS bytes sent to a plain
//! port) is kept whole as `request`. Trailing fields that nginx/Apache formats add become
//! their own key when written `k=v`, else `extra[i]`.

use super::{Field, Format, Record, MAX_FIELDS};

/// Parse an access-log line; `None` when it does not have the common-log shape.
pub(crate) fn parse(s: &str) -> Option<Record> {
    let lb = s.find(" [")?;
    let prefix: Vec<&str> = s.get(..lb)?.split(' ').filter(|t| !t.is_empty()).collect();
    let (vhost, who) = match prefix.as_slice() {
        // Some formats log only `client user` (no ident column).
        [client, user] => (None, [*client, "", *user]),
        [client, ident, user] => (None, [*client, *ident, *user]),
        [vhost, client, ident, user] => (Some(*vhost), [*client, *ident, *user]),
        _ => return None,
    };
    if who.iter().any(|t| t.contains(['"', '[', ']'])) {
        return None;
    }
    let after_lb = s.get(lb + 2..)?;
    let rb = after_lb.find(']')?;
    let timestamp = after_lb.get(..rb)?;
    if !timestamp.starts_with(|c: char| c.is_ascii_digit()) || !timestamp.contains(':') {
        return None;
    }
    let rest = after_lb.get(rb + 1..)?.trim_start_matches(' ');
    let (request, rest) = quoted(rest)?;
    let (status, rest) = bare(rest);
    let (bytes, mut rest) = bare(rest);
    if status.len() != 3 || !status.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if bytes.is_empty() || !(bytes == "-" || bytes.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }

    let mut fields = Vec::with_capacity(16);
    if let Some(v) = vhost {
        fields.push(Field::new("vhost", v));
    }
    for (key, v) in ["client_ip", "ident", "user"].into_iter().zip(who) {
        if !v.is_empty() {
            fields.push(Field::new(key, v));
        }
    }
    fields.push(Field::new("timestamp", timestamp));
    push_request(&mut fields, &request);
    fields.push(Field::new("status", status));
    fields.push(Field::new("bytes", bytes));

    let mut format = Format::AccessCommon;
    if let Some((referrer, after_ref)) = quoted(rest) {
        if let Some((agent, after_agent)) = quoted(after_ref) {
            fields.push(Field::new("referrer", referrer));
            fields.push(Field::new("user_agent", agent));
            format = Format::AccessCombined;
            rest = after_agent;
        }
    }
    push_extras(&mut fields, rest);
    Some(Record { format, fields })
}

/// `METHOD target PROTOCOL` into `method`/`path`/`protocol`, else the raw `request`.
fn push_request(fields: &mut Vec<Field>, request: &str) {
    let parts: Vec<&str> = request.split(' ').filter(|p| !p.is_empty()).collect();
    let is_method = |m: &str| {
        !m.is_empty()
            && m.len() <= 20
            && m.bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-')
    };
    match parts.as_slice() {
        [method, path] if is_method(method) => {
            fields.push(Field::new("method", *method));
            fields.push(Field::new("path", *path));
        }
        [method, middle @ .., protocol] if is_method(method) && !middle.is_empty() => {
            fields.push(Field::new("method", *method));
            if protocol.starts_with("HTTP/") {
                fields.push(Field::new("path", middle.join(" ")));
                fields.push(Field::new("protocol", *protocol));
            } else {
                // A target with spaces and no protocol (HTTP/0.9 or a broken client).
                fields.push(Field::new("path", parts.get(1..).unwrap_or_default().join(" ")));
            }
        }
        _ => fields.push(Field::new("request", request)),
    }
}

fn push_extras(fields: &mut Vec<Field>, mut rest: &str) {
    let mut i = 0usize;
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() || fields.len() >= MAX_FIELDS {
            return;
        }
        let (value, after) = quoted(rest).unwrap_or_else(|| {
            let (tok, after) = bare(rest);
            (tok.to_owned(), after)
        });
        match value.split_once('=') {
            Some((k, v))
                if !rest.starts_with('"')
                    && !k.is_empty()
                    && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                fields.push(Field::new(k, v));
            }
            _ => {
                fields.push(Field::new(format!("extra[{i}]"), value));
                i += 1;
            }
        }
        rest = after;
    }
}

/// A space-terminated token and the text after it.
fn bare(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches(' ');
    match s.find(' ') {
        Some(i) => (s.get(..i).unwrap_or_default(), s.get(i..).unwrap_or_default()),
        None => (s, ""),
    }
}

/// A `"..."` string (backslash escapes `"` and `\`) and the text after it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let body = s.trim_start_matches(' ').strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, body.get(i + 1..)?)),
            '\\' => match chars.next() {
                Some((_, n @ ('"' | '\\'))) => out.push(n),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined() {
        let r = parse(r#"127.0.0.1 - - [29/Sep/2021:14:11:34 +0200] "GET / HTTP/1.1" 200 10918 "-" "Mozilla/5.00 (Nikto/2.1.5) (Evasions:None) (Test:map_codes)""#).expect("access");
        assert_eq!(r.format, Format::AccessCombined);
        let got: Vec<(&str, &str)> =
            r.fields.iter().map(|f| (f.key.as_str(), f.value.as_str())).collect();
        assert_eq!(
            got,
            [
                ("client_ip", "127.0.0.1"),
                ("ident", "-"),
                ("user", "-"),
                ("timestamp", "29/Sep/2021:14:11:34 +0200"),
                ("method", "GET"),
                ("path", "/"),
                ("protocol", "HTTP/1.1"),
                ("status", "200"),
                ("bytes", "10918"),
                ("referrer", "-"),
                ("user_agent", "Mozilla/5.00 (Nikto/2.1.5) (Evasions:None) (Test:map_codes)"),
            ]
        );
    }

    #[test]
    fn common_with_odd_path() {
        let r = parse(r#"172.17.0.1 - - [29/Sep/2021:12:37:05 +0000] "GET /supasite/admin_utilities.php?supa[db_path]=http://cirt.net/rfiinc.txt? HTTP/1.1" 404 196"#).expect("access");
        assert_eq!(r.format, Format::AccessCommon);
        assert_eq!(
            r.get("path"),
            Some("/supasite/admin_utilities.php?supa[db_path]=http://cirt.net/rfiinc.txt?")
        );
        assert_eq!(r.get("bytes"), Some("196"));
    }

    #[test]
    fn malformed_request_and_extras_and_vhost() {
        let r = parse(r#"example.com:443 10.0.0.1 - alice [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01" 400 - "-" "-" "1.2.3.4" rt=0.001 tail"#).expect("access");
        assert_eq!(r.get("vhost"), Some("example.com:443"));
        assert_eq!(r.get("user"), Some("alice"));
        assert_eq!(r.get("request"), Some(r"\x16\x03\x01"));
        assert_eq!(r.get("method"), None);
        assert_eq!(r.get("bytes"), Some("-"));
        assert_eq!(r.get("extra[0]"), Some("1.2.3.4"));
        assert_eq!(r.get("rt"), Some("0.001"));
        assert_eq!(r.get("extra[1]"), Some("tail"));
        let r =
            parse(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "-" 408 0 "-" "-""#).expect("access");
        assert_eq!(r.get("request"), Some("-"));
        let r =
            parse(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a \"b\" c HTTP/1.0" 200 1"#)
                .expect("access");
        assert_eq!(r.get("path"), Some("/a \"b\" c"));
    }

    #[test]
    fn not_access() {
        for s in [
            "[Wed Apr 16 16:09:40.056610 2025] [ssl:info] [pid 120974:tid 120974] AH02006: SSL handshake stopped",
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1 200 1"#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" abc 1"#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200"#,
            "a b [c] d",
        ] {
            assert!(parse(s).is_none(), "{s}");
        }
    }
}
