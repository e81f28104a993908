//! Windows event XML (`<Event xmlns=...><System>...</System><EventData>...`).
//!
//! Paths are relative to `<Event>`: element text becomes `System.EventID`, attributes become
//! `System.Provider.Name`, and `<Data Name="X">v</Data>` becomes `EventData.X` (unnamed Data
//! elements are `EventData.Data[i]`). `UserData`, `RenderingInfo` and anything else flatten
//! the same generic way. Namespace prefixes and `xmlns` attributes are dropped.
//!
//! Malformed XML degrades: mismatched end tags are tolerated, and on a syntax error or a cut
//! the fields read so far are kept (no fields at all → not this format).

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{clip, Field, Format, Record, MAX_DEPTH, MAX_FIELDS, MAX_KEY_LEN, MAX_SEGMENT};

/// Whether `s` starts like a Windows event (optionally after an XML declaration).
pub(crate) fn looks_like(s: &str) -> bool {
    let mut t = s;
    if t.starts_with("<?xml") {
        match t.find("?>") {
            Some(i) => t = t.get(i + 2..).unwrap_or_default().trim_start(),
            None => return false,
        }
    }
    ["<Event", "<Events"]
        .iter()
        .any(|p| t.strip_prefix(p).is_some_and(|r| r.starts_with([' ', '>', '\t', '\r', '\n'])))
}

struct Frame {
    /// Field key for this element's text (empty past the depth cap or outside `<Event>`).
    key: String,
    text: String,
    /// `<Data Name=..>` elements emit even when empty.
    always: bool,
    unnamed_data: usize,
}

/// Parse a Windows event XML record; `None` when nothing could be read.
pub(crate) fn parse(s: &str) -> Option<Record> {
    let mut reader = Reader::from_str(s);
    let cfg = reader.config_mut();
    cfg.check_end_names = false;
    cfg.allow_unmatched_ends = true;
    cfg.allow_dangling_amp = true;

    let mut fields = Vec::new();
    // One frame per open element. The `<Event>` element itself has an empty path prefix.
    let mut stack: Vec<Frame> = Vec::new();
    let mut event_depth: Option<usize> = None;
    loop {
        if fields.len() >= MAX_FIELDS {
            break;
        }
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let frame = open(&e, &stack, &mut event_depth, &mut fields);
                stack.push(frame);
            }
            Ok(Event::Empty(e)) => {
                let frame = open(&e, &stack, &mut event_depth, &mut fields);
                close(frame, &mut fields);
                if event_depth == Some(stack.len()) {
                    break; // `<Event/>`
                }
            }
            Ok(Event::End(_)) => {
                if let Some(frame) = stack.pop() {
                    close(frame, &mut fields);
                }
                if event_depth.is_some_and(|d| stack.len() <= d) {
                    break; // end of the first <Event>
                }
            }
            Ok(Event::Text(t)) => append(&mut stack, &t.decode().unwrap_or_default()),
            Ok(Event::CData(t)) => append(&mut stack, &t.decode().unwrap_or_default()),
            Ok(Event::GeneralRef(r)) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.decode().unwrap_or_default();
                        match name.as_ref() {
                            "amp" => "&".to_owned(),
                            "lt" => "<".to_owned(),
                            "gt" => ">".to_owned(),
                            "quot" => "\"".to_owned(),
                            "apos" => "'".to_owned(),
                            other => format!("&{other};"),
                        }
                    }
                };
                append(&mut stack, &text);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => {
                tracing::debug!(error = %err, at = reader.buffer_position(), "windows xml: syntax error, keeping fields read so far");
                break;
            }
        }
    }
    // Cut or broken document: flush elements still open, innermost first.
    while let Some(frame) = stack.pop() {
        close(frame, &mut fields);
    }
    (event_depth.is_some() && !fields.is_empty())
        .then_some(Record { format: Format::WindowsXml, fields })
}

fn local(name: &[u8]) -> String {
    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    String::from_utf8_lossy(local).into_owned()
}

fn append(stack: &mut [Frame], text: &str) {
    if let Some(top) = stack.last_mut() {
        if !top.key.is_empty() {
            top.text.push_str(text);
        }
    }
}

/// Start an element: emit its attributes and return its frame.
fn open(
    e: &BytesStart<'_>,
    stack: &[Frame],
    event_depth: &mut Option<usize>,
    fields: &mut Vec<Field>,
) -> Frame {
    let name = local(e.name().as_ref());
    let depth = stack.len();
    let mut frame =
        Frame { key: String::new(), text: String::new(), always: false, unnamed_data: 0 };
    let Some(root) = *event_depth else {
        if name == "Event" {
            *event_depth = Some(depth);
        }
        return frame;
    };
    if depth.saturating_sub(root) > MAX_DEPTH {
        return frame;
    }
    let parent = stack.last().map(|f| f.key.as_str()).unwrap_or_default();
    if depth > root && parent.is_empty() && depth > root + 1 {
        return frame; // under an element past the cap
    }
    let attrs: Vec<(String, String)> = e
        .attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .filter(|a| a.key.as_namespace_binding().is_none())
        .map(|a| {
            let value = a
                .unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
            (local(a.key.as_ref()), value)
        })
        .collect();
    let join = |leaf: &str| {
        let leaf = clip(leaf, MAX_SEGMENT);
        if parent.is_empty() {
            leaf.to_owned()
        } else {
            format!("{parent}.{leaf}")
        }
    };
    if name == "Data" {
        if let Some((_, n)) = attrs.iter().find(|(k, _)| k == "Name") {
            frame.key = join(n);
            frame.always = true;
            return frame;
        }
        let i = stack.last().map_or(0, |f| f.unnamed_data);
        frame.key = join(&format!("Data[{i}]"));
        return frame;
    }
    frame.key = join(&name);
    if frame.key.len() > MAX_KEY_LEN {
        frame.key.clear();
        return frame;
    }
    for (k, v) in attrs {
        if fields.len() >= MAX_FIELDS {
            break;
        }
        fields.push(Field::new(format!("{}.{}", frame.key, clip(&k, MAX_SEGMENT)), v));
    }
    frame
}

fn close(frame: Frame, fields: &mut Vec<Field>) {
    if frame.key.is_empty() {
        return;
    }
    let text = frame.text.trim();
    if !text.is_empty() || frame.always {
        fields.push(Field::new(frame.key, text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGON: &str = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"/><EventID>4624</EventID><Version>2</Version><TimeCreated SystemTime="2020-12-19T07:00:22.264Z"/><Execution ProcessID="636" ThreadID="700"/><Channel>Security</Channel><Computer>WORKSTATION6.theshire.local</Computer><Security/></System><EventData><Data Name="TargetUserName">bob &amp; co</Data><Data Name="IpAddress">-</Data><Data Name="Empty"/><Data>unnamed</Data></EventData></Event>"#;

    #[test]
    fn security_logon() {
        let r = parse(LOGON).expect("xml");
        assert_eq!(r.format, Format::WindowsXml);
        assert_eq!(r.get("System.Provider.Name"), Some("Microsoft-Windows-Security-Auditing"));
        assert_eq!(r.get("System.EventID"), Some("4624"));
        assert_eq!(r.get("System.TimeCreated.SystemTime"), Some("2020-12-19T07:00:22.264Z"));
        assert_eq!(r.get("System.Execution.ProcessID"), Some("636"));
        assert_eq!(r.get("System.Channel"), Some("Security"));
        assert_eq!(r.get("System.Computer"), Some("WORKSTATION6.theshire.local"));
        assert_eq!(r.get("EventData.TargetUserName"), Some("bob & co"));
        assert_eq!(r.get("EventData.IpAddress"), Some("-"));
        assert_eq!(r.get("EventData.Empty"), Some(""));
        assert_eq!(r.get("EventData.Data[0]"), Some("unnamed"));
        assert!(r.fields.iter().all(|f| !f.key.contains("xmlns")));
    }

    #[test]
    fn user_data_and_declaration() {
        let raw = "<?xml version=\"1.0\"?>\n<Event xmlns='x'><System><EventID Qualifiers='16384'>1102</EventID></System><UserData><LogFileCleared xmlns='y'><SubjectUserName>admin</SubjectUserName><SubjectDomainName>CORP</SubjectDomainName></LogFileCleared></UserData></Event>";
        assert!(looks_like(raw));
        let r = parse(raw).expect("xml");
        assert_eq!(r.get("System.EventID"), Some("1102"));
        assert_eq!(r.get("System.EventID.Qualifiers"), Some("16384"));
        assert_eq!(r.get("UserData.LogFileCleared.SubjectUserName"), Some("admin"));
    }

    #[test]
    fn truncated_and_broken_keep_what_was_read() {
        let cut = LOGON
            .get(..LOGON.find("<Data Name=\"IpAddress\"").unwrap_or(0) + 20)
            .unwrap_or_default();
        let r = parse(cut).expect("partial");
        assert_eq!(r.get("System.EventID"), Some("4624"));
        assert_eq!(r.get("EventData.TargetUserName"), Some("bob & co"));
        let r = parse("<Event><System><EventID>4625</EventID><Bad <<< </System></Event>")
            .expect("partial");
        assert_eq!(r.get("System.EventID"), Some("4625"));
        let r = parse("<Event><System><EventID>1</Wrong></System></Event>").expect("mismatched");
        assert_eq!(r.get("System.EventID"), Some("1"));
        assert!(parse("<Event <<<").is_none());
        assert!(parse("<Event></Event>").is_none());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("<Event>{}x{}</Event>", "<a>".repeat(10_000), "</a>".repeat(10_000));
        let r = parse(&deep);
        // Past the depth cap nothing is emitted; no stack overflow, no quadratic keys.
        assert!(r.is_none_or(|r| r.fields.iter().all(|f| f.key.matches('.').count() <= MAX_DEPTH)));
    }

    #[test]
    fn detection() {
        assert!(looks_like("<Event xmlns='x'>"));
        assert!(looks_like("<Events><Event>"));
        assert!(!looks_like("<EventX>"));
        assert!(!looks_like("<134>Jan"));
        assert!(!looks_like("<?xml version='1.0'"));
    }
}
