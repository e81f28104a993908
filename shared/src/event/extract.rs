//! Facts in free text (syslog and plain-text messages): source/destination addresses and
//! ports, the user, the outcome, and a leading timestamp. Word patterns only
//! (`from <ip> port <n>`, `user <name>`, `[client <ip>:<port>]`, comma-separated rows with
//! two adjacent addresses); nothing is guessed from position alone.

use serde_json::Value;

use super::validate::is_ip;

/// What was found, as (OCSF path, value).
pub(crate) type Found = Vec<(&'static str, Value)>;

pub(crate) fn scan(message: &str) -> Found {
    let mut out: Found = Vec::new();
    let words: Vec<&str> = message
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, ',' | ';' | '[' | ']' | '(' | ')' | '"' | '\''))
        })
        .collect();
    let put = |path: &'static str, v: Value, out: &mut Found| {
        if !out.iter().any(|(p, _)| *p == path) {
            out.push((path, v));
        }
    };
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        let mut buf = [0u8; 16];
        match lower(w, &mut buf) {
            "from" | "rhost" | "client" if ip_port(next).is_some() => {
                let (ip, port) = ip_port(next).unwrap_or_default();
                put("src_endpoint.ip", Value::from(ip), &mut out);
                let port = port.or_else(|| port_after(&words, i + 2));
                if let Some(p) = port {
                    put("src_endpoint.port", Value::from(p), &mut out);
                }
            }
            "to" if ip_port(next).is_some() => {
                let (ip, port) = ip_port(next).unwrap_or_default();
                put("dst_endpoint.ip", Value::from(ip), &mut out);
                if let Some(p) = port.or_else(|| port_after(&words, i + 2)) {
                    put("dst_endpoint.port", Value::from(p), &mut out);
                }
            }
            "user" if is_name(next) => put("user.name", Value::from(next), &mut out),
            "for" if is_name(next) && words.get(i + 2).is_some_and(|w| *w == "from") => {
                put("user.name", Value::from(next), &mut out)
            }
            _ => {}
        }
        // A bare address followed by `port N` (e.g. "by authenticating user root 10.0.0.1 port 22").
        if is_ip(w) && !out.iter().any(|(p, _)| *p == "src_endpoint.ip") && next == "port" {
            put("src_endpoint.ip", Value::from(*w), &mut out);
            if let Some(p) = port_after(&words, i + 1) {
                put("src_endpoint.port", Value::from(p), &mut out);
            }
        }
    }
    if !out.iter().any(|(p, _)| p.starts_with("src_endpoint") || p.starts_with("dst_endpoint")) {
        csv_row(message, &mut out);
    }
    if let Some((status, id)) = outcome(message) {
        out.push(("status", Value::from(status)));
        out.push(("status_id", Value::from(id)));
    }
    out
}

/// `w` in lower case when it is a short ASCII word (the keywords looked for), else "".
fn lower<'b>(w: &str, buf: &'b mut [u8; 16]) -> &'b str {
    let Some(dst) = buf.get_mut(..w.len()) else { return "" };
    dst.copy_from_slice(w.as_bytes());
    dst.make_ascii_lowercase();
    std::str::from_utf8(dst).unwrap_or("")
}

fn is_name(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 64
        && !matches!(
            lower(w, &mut [0u8; 16]),
            "from"
                | "for"
                | "unknown"
                | "invalid"
                | "authenticating"
                | "by"
                | "port"
                | "session"
                | "name"
        )
        && !is_ip(w)
        && w.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '$' | '\\'))
}

/// `ip`, `ip:port` (IPv4) or `[v6]:port`.
fn ip_port(w: &str) -> Option<(String, Option<u16>)> {
    if is_ip(w) {
        return Some((w.to_string(), None));
    }
    let (host, port) = w.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if is_ip(host) {
        return Some((host.to_string(), port.parse().ok()));
    }
    None
}

/// `port <n>` starting at `words[i]`.
fn port_after(words: &[&str], i: usize) -> Option<u16> {
    (words.get(i) == Some(&"port")).then(|| words.get(i + 1).and_then(|p| p.parse().ok())).flatten()
}

/// A comma-separated row holding two adjacent addresses (source, destination), optionally
/// followed by two ports, and a transport name somewhere before them.
fn csv_row(message: &str, out: &mut Found) {
    if message.bytes().filter(|c| *c == b',').count() < 6 {
        return;
    }
    let cols: Vec<&str> = message.split(',').map(str::trim).collect();
    let Some(i) = (0..cols.len().saturating_sub(1)).find(|&i| is_ip(cols[i]) && is_ip(cols[i + 1]))
    else {
        return;
    };
    out.push(("src_endpoint.ip", Value::from(cols[i])));
    out.push(("dst_endpoint.ip", Value::from(cols[i + 1])));
    let port = |j: usize| cols.get(j).and_then(|c| c.parse::<u16>().ok());
    if let (Some(sp), Some(dp)) = (port(i + 2), port(i + 3)) {
        out.push(("src_endpoint.port", Value::from(sp)));
        out.push(("dst_endpoint.port", Value::from(dp)));
    }
    if let Some(p) = cols[..i].iter().rev().find(|c| {
        matches!(
            c.to_ascii_lowercase().as_str(),
            "tcp" | "udp" | "icmp" | "icmpv6" | "sctp" | "gre" | "esp"
        )
    }) {
        out.push(("connection_info.protocol_name", Value::from(p.to_ascii_lowercase())));
    }
}

/// Success/failure words at the start of a message (`Accepted publickey`, `Failed password`).
fn outcome(message: &str) -> Option<(&'static str, i64)> {
    let m = message.trim_start();
    let first = m.split_whitespace().next()?.to_ascii_lowercase();
    match first.as_str() {
        "accepted" | "succeeded" | "success" | "successful" => Some(("Success", 1)),
        "failed" | "failure" | "invalid" | "denied" | "refused" | "rejected" => {
            Some(("Failure", 2))
        }
        _ if m.contains("authentication failure") => Some(("Failure", 2)),
        _ => None,
    }
}

/// A timestamp at the start of a message: `[...]`-bracketed, or the first 1–5 words.
pub(crate) fn leading_time(
    message: &str,
    reference_ms: i64,
) -> Option<(super::time::Timestamp, String)> {
    let m = message.trim_start();
    if let Some(rest) = m.strip_prefix('[') {
        let inner = rest.split_once(']')?.0;
        return super::time::parse(inner, reference_ms).map(|t| (t, inner.to_string()));
    }
    let ends: Vec<usize> =
        m.match_indices(' ').map(|(i, _)| i).take(5).chain(std::iter::once(m.len())).collect();
    for &end in ends.iter().rev() {
        let head = m.get(..end)?.trim();
        if head.len() < 8 {
            continue;
        }
        if let Some(t) = super::time::parse(head, reference_ms) {
            return Some((t, head.to_string()));
        }
    }
    None
}

/// auditd `audit(1684331782.607:3299):` → the epoch part.
pub(crate) fn audit_time(value: &str) -> Option<(super::time::Timestamp, String)> {
    let inner = value.strip_prefix("audit(")?;
    let epoch = inner.split(':').next()?;
    super::time::epoch(epoch).map(|t| (t, epoch.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(f: &'a Found, p: &str) -> Option<&'a Value> {
        f.iter().find(|(k, _)| *k == p).map(|(_, v)| v)
    }

    #[test]
    fn sshd_lines() {
        let f = scan("Failed password for invalid user admin from 203.0.113.9 port 40022 ssh2");
        assert_eq!(get(&f, "src_endpoint.ip"), Some(&Value::from("203.0.113.9")));
        assert_eq!(get(&f, "src_endpoint.port"), Some(&Value::from(40022)));
        assert_eq!(get(&f, "user.name"), Some(&Value::from("admin")));
        assert_eq!(get(&f, "status_id"), Some(&Value::from(2)));
        let f = scan("Accepted publickey for alice from 10.0.0.5 port 51000 ssh2: RSA SHA256:x");
        assert_eq!(get(&f, "user.name"), Some(&Value::from("alice")));
        assert_eq!(get(&f, "status_id"), Some(&Value::from(1)));
        let f = scan("Connection closed by authenticating user root 10.0.0.7 port 2222 [preauth]");
        assert_eq!(get(&f, "user.name"), Some(&Value::from("root")));
        assert_eq!(get(&f, "src_endpoint.port"), Some(&Value::from(2222)));
    }

    #[test]
    fn rows_and_brackets() {
        let f = scan("53,,,1000102631,em0,match,block,in,4,0x0,,64,892,0,none,6,tcp,44,10.0.2.2,10.0.2.15,59576,3306,0,S,1");
        assert_eq!(get(&f, "src_endpoint.ip"), Some(&Value::from("10.0.2.2")));
        assert_eq!(get(&f, "dst_endpoint.port"), Some(&Value::from(3306)));
        assert_eq!(get(&f, "connection_info.protocol_name"), Some(&Value::from("tcp")));
        let f = scan("[ssl:info] (70014)End of file found: [client 192.168.1.1:17036] AH02006: SSL handshake stopped");
        assert_eq!(get(&f, "src_endpoint.ip"), Some(&Value::from("192.168.1.1")));
        assert_eq!(get(&f, "src_endpoint.port"), Some(&Value::from(17036)));
    }

    #[test]
    fn leading_timestamps() {
        let r = 1_717_200_000_000;
        assert!(leading_time("[Wed Apr 16 16:09:40.056610 2025] [ssl:info] x", r).is_some());
        assert!(leading_time("2024-06-01 10:00:00 something happened", r).is_some());
        assert!(leading_time("no time here at all", r).is_none());
        assert_eq!(
            audit_time("audit(1684331782.607:3299):").map(|t| t.0.ms),
            Some(1_684_331_782_607)
        );
    }
}
