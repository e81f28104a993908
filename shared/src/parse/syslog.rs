//! Syslog: RFC 3164 (BSD, with or without `<PRI>`, as in /var/log files) and RFC 5424.
//!
//! Header fields: `priority`, `facility`, `severity` (numbers, when PRI is present),
//! `timestamp`, `hostname`, `app_name`, `procid`, `msgid`, `sd.<id>.<param>`, `message`.
//! `key=value` pairs in the message become extra fields (prefixed `msg.` when the key is a
//! header field name).
//!
//! When the message is itself CEF, LEEF or JSON, the record takes that inner format: the
//! header fields come first, then the payload's fields (and no `message`). A header field whose
//! name the payload also uses is renamed `syslog.<name>` so the payload keeps its own names
//! (CEF's `severity` stays `severity`).

use super::{cef, clip, json, kv, leef, Field, Format, Record, MAX_FIELDS, MAX_SEGMENT};

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parse a syslog line; `None` when it does not look like syslog.
pub(crate) fn parse(s: &str) -> Option<Record> {
    let (pri, rest) = if s.starts_with('<') { split_pri(s)? } else { (None, s) };
    let mut header = Vec::with_capacity(12);
    if let Some(p) = pri {
        header.push(Field::new("priority", p.to_string()));
        header.push(Field::new("facility", (p / 8).to_string()));
        header.push(Field::new("severity", (p % 8).to_string()));
        if let Some(after_version) = rfc5424_version(rest) {
            let message = rfc5424(after_version, &mut header);
            return Some(finish(header, message, Format::Syslog5424));
        }
    }
    let (ts, iso, after_ts) = match bsd_timestamp(rest) {
        Some((ts, after)) => (Some(ts), false, after),
        None => match iso_timestamp(rest) {
            Some((ts, after)) => (Some(ts), true, after),
            None => (None, false, rest),
        },
    };
    let Some(ts) = ts else {
        // `<PRI>` followed by anything: a relay would treat it all as the message.
        pri?;
        return Some(finish(header, rest, Format::Syslog3164));
    };
    header.push(Field::new("timestamp", ts));
    let (message, tagged) = host_and_tag(after_ts.trim_start_matches(' '), &mut header);
    // Without PRI, an ISO-timestamped line needs `host tag:` to be told from other app logs.
    if pri.is_none() && iso && !tagged {
        return None;
    }
    Some(finish(header, message, Format::Syslog3164))
}

/// `<PRI>` with 1–3 digits and a value of at most 191.
fn split_pri(s: &str) -> Option<(Option<u8>, &str)> {
    let close = s.bytes().take(5).position(|b| b == b'>')?;
    let digits = s.get(1..close)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let p: u16 = digits.parse().ok()?;
    let p = u8::try_from(p).ok().filter(|&p| p <= 191)?;
    Some((Some(p), s.get(close + 1..)?))
}

/// RFC 5424 `VERSION SP`: a non-zero 1–2 digit number then a space.
fn rfc5424_version(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let n = b.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    (matches!(n, 1 | 2) && b.first() != Some(&b'0') && b.get(n) == Some(&b' '))
        .then(|| s.get(n + 1..))
        .flatten()
}

/// Next space-separated token and the text after its separator.
fn token(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches(' ');
    match s.find(' ') {
        Some(i) => (s.get(..i).unwrap_or_default(), s.get(i + 1..).unwrap_or_default()),
        None => (s, ""),
    }
}

/// RFC 5424 header after the version; pushes fields and returns the MSG.
fn rfc5424<'a>(s: &'a str, header: &mut Vec<Field>) -> &'a str {
    let mut rest = s;
    for key in ["timestamp", "hostname", "app_name", "procid", "msgid"] {
        let (tok, after) = token(rest);
        if !tok.is_empty() && tok != "-" {
            header.push(Field::new(key, tok));
        }
        rest = after;
    }
    let rest = rest.trim_start_matches(' ');
    if let Some(after) = rest.strip_prefix('-') {
        return after.strip_prefix(' ').unwrap_or(after);
    }
    if rest.starts_with('[') {
        let mut sd = Vec::new();
        if let Some(after) = structured_data(rest, &mut sd) {
            header.extend(sd);
            return after.strip_prefix(' ').unwrap_or(after);
        }
    }
    // Malformed or missing SD: keep all of it as the message.
    rest
}

/// Parse `[id k="v" ...][id2 ...]`; returns the text after it, or `None` if malformed.
fn structured_data<'a>(s: &'a str, out: &mut Vec<Field>) -> Option<&'a str> {
    let mut rest = s;
    while let Some(elem) = rest.strip_prefix('[') {
        let id_end = elem.find([' ', ']'])?;
        let id = elem.get(..id_end)?;
        if id.is_empty() || id.contains(['=', '"']) {
            return None;
        }
        let mut p = elem.get(id_end..)?;
        loop {
            p = p.trim_start_matches(' ');
            if let Some(after) = p.strip_prefix(']') {
                rest = after;
                break;
            }
            let eq = p.find('=')?;
            let name = p.get(..eq)?;
            if name.is_empty() || name.contains([' ', ']', '"']) {
                return None;
            }
            let body = p.get(eq + 1..)?.strip_prefix('"')?;
            let (value, after) = sd_value(body)?;
            if out.len() < MAX_FIELDS {
                out.push(Field::new(
                    format!("sd.{}.{}", clip(id, MAX_SEGMENT), clip(name, MAX_SEGMENT)),
                    value,
                ));
            }
            p = after;
        }
    }
    Some(rest)
}

/// A PARAM-VALUE up to its closing quote, unescaping `\"`, `\\` and `\]`.
fn sd_value(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, s.get(i + 1..)?)),
            '\\' => match chars.next() {
                Some((_, n @ ('"' | '\\' | ']'))) => out.push(n),
                Some((_, n)) => {
                    out.push('\\');
                    out.push(n);
                }
                None => return None,
            },
            _ => out.push(c),
        }
    }
    None
}

/// `Mmm dd[ yyyy] hh:mm:ss[.frac][:]` (day may be space-padded).
fn bsd_timestamp(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let month = b.get(..3)?;
    if !MONTHS.iter().any(|m| m.as_slice() == month) {
        return None;
    }
    let mut i = 3;
    let spaces = b.get(i..)?.iter().take_while(|&&c| c == b' ').count();
    if !(1..=2).contains(&spaces) {
        return None;
    }
    i += spaces;
    let day = b.get(i..)?.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&day) || b.get(i + day) != Some(&b' ') {
        return None;
    }
    i += day + 1;
    // Optional year (Cisco): `Jan 01 2020 00:00:00`.
    if let Some(&[y1, y2, y3, y4, b' ']) = b.get(i..i + 5) {
        if [y1, y2, y3, y4].iter().all(u8::is_ascii_digit) {
            i += 5;
        }
    }
    i = clock(b, i)?;
    let ts_end = i;
    if b.get(i) == Some(&b':') {
        i += 1;
    }
    match b.get(i) {
        None => Some((s.get(..ts_end)?, "")),
        Some(b' ') => Some((s.get(..ts_end)?, s.get(i + 1..)?)),
        Some(_) => None,
    }
}

/// `hh:mm:ss[.frac]` at `i`; returns the offset after it.
fn clock(b: &[u8], i: usize) -> Option<usize> {
    let &[h1, h2, b':', m1, m2, b':', s1, s2] = b.get(i..i + 8)? else {
        return None;
    };
    if ![h1, h2, m1, m2, s1, s2].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut j = i + 8;
    if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
        j += 1;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
    }
    Some(j)
}

/// `yyyy-mm-ddThh:mm:ss[.frac][Z|±hh:mm|±hhmm]` followed by a space.
fn iso_timestamp(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let d = b.get(..11)?;
    let date_ok = d.iter().enumerate().all(|(k, c)| match k {
        4 | 7 => *c == b'-',
        10 => *c == b'T',
        _ => c.is_ascii_digit(),
    });
    if !date_ok {
        return None;
    }
    let mut i = clock(b, 11)?;
    match b.get(i) {
        Some(b'Z') => i += 1,
        Some(b'+' | b'-') => {
            let zone = b
                .get(i + 1..)?
                .iter()
                .take(5)
                .take_while(|c| c.is_ascii_digit() || **c == b':')
                .count();
            i += 1 + zone;
        }
        _ => {}
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    Some((s.get(..i)?, s.get(i + 1..)?))
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-' | b'%' | b'@' | b'(' | b')')
}

/// `name[pid]:`, `name:` or `name[pid]` → (name, pid).
fn tag(tok: &str) -> Option<(&str, Option<&str>)> {
    let t = tok.strip_suffix(':').unwrap_or(tok);
    let (name, pid) = match t.strip_suffix(']').and_then(|x| x.split_once('[')) {
        Some((n, p)) if !p.is_empty() && !p.contains(['[', ']']) => (n, Some(p)),
        Some(_) => return None,
        None if t.len() < tok.len() => (t, None),
        None => return None,
    };
    (!name.is_empty() && name.bytes().all(is_name_char)).then_some((name, pid))
}

fn is_host(tok: &str) -> bool {
    !tok.is_empty()
        && !tok.ends_with(':')
        && tok
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':' | b'%'))
}

fn starts_payload(s: &str) -> bool {
    s.starts_with("CEF:") || s.starts_with("LEEF:") || s.starts_with('{')
}

/// After the timestamp: `[host] [tag[pid]:] message`. Returns the message and whether the
/// line has the usual shape (a tag, or a host followed by a CEF/LEEF/JSON payload).
fn host_and_tag<'a>(s: &'a str, header: &mut Vec<Field>) -> (&'a str, bool) {
    if starts_payload(s) {
        return (s, false);
    }
    let (first, after_first) = token(s);
    let rest = if let Some((name, pid)) = tag(first).filter(|_| first.ends_with(':')) {
        push_tag(header, name, pid);
        return (after_first, true);
    } else if is_host(first) {
        header.push(Field::new("hostname", first));
        after_first.trim_start_matches(' ')
    } else {
        return (s, false);
    };
    if starts_payload(rest) {
        return (rest, true);
    }
    let (second, after_second) = token(rest);
    match tag(second) {
        Some((name, pid)) => {
            push_tag(header, name, pid);
            (after_second, true)
        }
        None => (rest, false),
    }
}

fn push_tag(header: &mut Vec<Field>, name: &str, pid: Option<&str>) {
    header.push(Field::new("app_name", name));
    if let Some(pid) = pid {
        header.push(Field::new("procid", pid));
    }
}

/// Attach the message: as an inner CEF/LEEF/JSON record, or as `message` plus its pairs.
fn finish(mut header: Vec<Field>, message: &str, format: Format) -> Record {
    let message = message.trim_start_matches('\u{feff}');
    if let Some(inner) = inner_record(message) {
        for h in &mut header {
            if inner.fields.iter().any(|f| f.key == h.key) {
                h.key.insert_str(0, "syslog.");
            }
        }
        header.extend(inner.fields);
        return Record { format: inner.format, fields: header };
    }
    header.push(Field::new("message", message));
    let scan = kv::scan(message);
    if !scan.pairs.is_empty() {
        let names: Vec<String> = header.iter().map(|f| f.key.clone()).collect();
        kv::push_fields(&mut header, &scan, message, |k| {
            if names.iter().any(|n| n == k) {
                format!("msg.{k}")
            } else {
                k.to_owned()
            }
        });
    }
    Record { format, fields: header }
}

/// The message as CEF/LEEF/JSON, also when CEF/LEEF follows a space-separated prefix.
fn inner_record(message: &str) -> Option<Record> {
    if message.starts_with('{') {
        return match json::flatten(message) {
            json::JsonOutcome::Complete(fields) if !fields.is_empty() => {
                Some(Record { format: Format::Json, fields })
            }
            _ => None,
        };
    }
    type Parser = fn(&str) -> Option<Record>;
    for (tag, spaced, parse) in
        [("CEF:", " CEF:", cef::parse as Parser), ("LEEF:", " LEEF:", leef::parse)]
    {
        if message.starts_with(tag) {
            return parse(message);
        }
        if let Some(at) = memchr::memmem::find(message.as_bytes(), spaced.as_bytes()) {
            if let Some(r) = message.get(at + 1..).and_then(parse) {
                return Some(r);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(r: &Record) -> Vec<&str> {
        r.fields.iter().map(|f| f.key.as_str()).collect()
    }

    #[test]
    fn bsd_without_pri_sshd() {
        let r = parse("Sep  6 09:57:21 bullseye sshd[581]: Accepted publickey for vagrant from 192.168.121.1 port 56296 ssh2").expect("syslog");
        assert_eq!(r.format, Format::Syslog3164);
        assert_eq!(keys(&r), ["timestamp", "hostname", "app_name", "procid", "message"]);
        assert_eq!(r.get("timestamp"), Some("Sep  6 09:57:21"));
        assert_eq!(r.get("hostname"), Some("bullseye"));
        assert_eq!(r.get("app_name"), Some("sshd"));
        assert_eq!(r.get("procid"), Some("581"));
        assert_eq!(
            r.get("message"),
            Some("Accepted publickey for vagrant from 192.168.121.1 port 56296 ssh2")
        );
    }

    #[test]
    fn netfilter_kernel_pairs() {
        let raw = "Oct 30 10:09:23 vm-1 kernel: [UFW BLOCK] IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.2 DST=127.0.0.53 LEN=104 TOS=0x00 PREC=0x00 TTL=64 ID=16820 DF PROTO=TCP SPT=50616 DPT=62 LEN=84";
        let r = parse(raw).expect("syslog");
        assert_eq!(r.get("app_name"), Some("kernel"));
        assert_eq!(r.get("procid"), None);
        assert!(r.get("message").is_some_and(|m| m.starts_with("[UFW BLOCK] IN=lo")));
        assert_eq!(r.get("OUT"), Some(""));
        assert_eq!(r.get("SRC"), Some("127.0.0.2"));
        assert_eq!(r.get("DPT"), Some("62"));
    }

    #[test]
    fn pri_and_collision_prefix() {
        let r = parse("<38>Jan 12 06:26:15 host app[1]: hostname=evil severity=9 user=bob")
            .expect("syslog");
        assert_eq!(r.get("priority"), Some("38"));
        assert_eq!(r.get("facility"), Some("4"));
        assert_eq!(r.get("severity"), Some("6"));
        assert_eq!(r.get("hostname"), Some("host"));
        assert_eq!(r.get("msg.hostname"), Some("evil"));
        assert_eq!(r.get("msg.severity"), Some("9"));
        assert_eq!(r.get("user"), Some("bob"));
    }

    #[test]
    fn rfc5424_with_structured_data() {
        let raw = r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Appli\"cation"][meta sequenceId="1"] An application event"#;
        let r = parse(raw).expect("syslog");
        assert_eq!(r.format, Format::Syslog5424);
        assert_eq!(r.get("timestamp"), Some("2003-10-11T22:14:15.003Z"));
        assert_eq!(r.get("hostname"), Some("mymachine.example.com"));
        assert_eq!(r.get("app_name"), Some("evntslog"));
        assert_eq!(r.get("procid"), None);
        assert_eq!(r.get("msgid"), Some("ID47"));
        assert_eq!(r.get("sd.exampleSDID@32473.eventSource"), Some("Appli\"cation"));
        assert_eq!(r.get("sd.meta.sequenceId"), Some("1"));
        assert_eq!(r.get("message"), Some("An application event"));
    }

    #[test]
    fn rfc5424_pfsense_filterlog_and_nil_sd() {
        let raw = "<134>1 2025-11-06T11:47:38.269437+00:00 firewall.lan filterlog 92653 - - 7,,,1000000102,vtnet0.5,match,block,in,4";
        let r = parse(raw).expect("syslog");
        assert_eq!(r.get("procid"), Some("92653"));
        assert_eq!(r.get("message"), Some("7,,,1000000102,vtnet0.5,match,block,in,4"));
    }

    #[test]
    fn rfc5424_malformed_sd_kept_in_message() {
        let r = parse(r#"<13>1 - host app - - [bad sd="unterminated] msg"#).expect("syslog");
        assert_eq!(r.get("message"), Some(r#"[bad sd="unterminated] msg"#));
        let r = parse("<13>1 2024-01-01T00:00:00Z").expect("syslog");
        assert_eq!(r.get("timestamp"), Some("2024-01-01T00:00:00Z"));
    }

    #[test]
    fn embedded_cef_takes_inner_format() {
        let r = parse("<134>Jan  1 00:00:00 fw01 CEF:0|Vendor|Product|1.0|100|Blocked|7|src=1.2.3.4 act=blocked").expect("syslog");
        assert_eq!(r.format, Format::Cef);
        assert_eq!(r.get("hostname"), Some("fw01"));
        assert_eq!(r.get("severity"), Some("7"));
        assert_eq!(r.get("syslog.severity"), Some("6"));
        assert_eq!(r.get("src"), Some("1.2.3.4"));
        assert_eq!(r.get("message"), None);
    }

    #[test]
    fn embedded_json_and_leef() {
        let r = parse(
            r#"<14>1 2024-01-01T00:00:00Z h app 1 - - {"event":"login","user":{"name":"al"}}"#,
        )
        .expect("syslog");
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.get("user.name"), Some("al"));
        assert_eq!(r.get("app_name"), Some("app"));
        let r = parse("Jan 1 00:00:00 qradar app: LEEF:1.0|V|P|1|id|a=1\tb=2").expect("syslog");
        assert_eq!(r.format, Format::Leef);
        assert_eq!(r.get("b"), Some("2"));
        // Broken JSON payload stays a syslog message.
        let r = parse(r#"<14>Jan 1 00:00:00 h app: {"event":"#).expect("syslog");
        assert_eq!(r.format, Format::Syslog3164);
    }

    #[test]
    fn pri_without_timestamp_and_fortigate() {
        let r = parse(r#"<190>date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic""#)
            .expect("syslog");
        assert_eq!(r.format, Format::Syslog3164);
        assert_eq!(r.get("logid"), Some("0000000013"));
        assert_eq!(r.get("msg.time"), None);
        assert_eq!(r.get("time"), Some("11:37:47"));
    }

    #[test]
    fn variants() {
        // Cisco ASA: year in timestamp, trailing colon, %ASA tag.
        let r = parse("<166>Jan 01 2020 00:00:00: %ASA-4-106023: Deny tcp src outside:1.2.3.4/1 dst inside:5.6.7.8/80").expect("syslog");
        assert_eq!(r.get("timestamp"), Some("Jan 01 2020 00:00:00"));
        assert_eq!(r.get("app_name"), Some("%ASA-4-106023"));
        // No hostname: tag right after the timestamp.
        let r = parse("<34>Oct 11 22:14:15 su: 'su root' failed for lonvick").expect("syslog");
        assert_eq!(r.get("app_name"), Some("su"));
        assert_eq!(r.get("hostname"), None);
        // RFC 3339 timestamp without PRI needs a tag.
        let r = parse("2024-03-01T10:00:00.123+01:00 web01 nginx[77]: started").expect("syslog");
        assert_eq!(r.get("hostname"), Some("web01"));
        let r =
            parse("2024-03-01T10:00:00Z arcsight CEF:0|V|P|1|sig|n|3|src=1.2.3.4").expect("syslog");
        assert_eq!(r.format, Format::Cef);
        assert_eq!(r.get("hostname"), Some("arcsight"));
        assert!(parse("2024-03-01T10:00:00Z INFO starting the server").is_none());
    }

    #[test]
    fn not_syslog() {
        for s in [
            "<999>Jan 1 00:00:00 h a: m",
            "<abc>x",
            "<>x",
            "<Event xmlns='x'>",
            "Janet 1 00:00:00 h",
            "Jan 1 0:00:00 h a: m",
            "hello world",
            "Jan",
        ] {
            assert!(parse(s).is_none(), "{s}");
        }
    }
}
