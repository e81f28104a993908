//! Fuzz the log parser: `parse_bytes` on the whole input, and a `StreamParser` over its lines
//! (so header state — Zeek `#fields`, W3C `#Fields:`, CSV headers — meets arbitrary data).
//! Any panic is a bug; so is a record without fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocsfmap::parse::{parse_bytes, StreamParser};

fuzz_target!(|data: &[u8]| {
    let record = parse_bytes(data);
    assert!(!record.fields.is_empty(), "record without fields");

    let text = String::from_utf8_lossy(data);
    let mut stream = StreamParser::new();
    for line in text.lines() {
        if let Some(r) = stream.feed(line) {
            assert!(!r.fields.is_empty(), "stream record without fields");
        }
    }
});
