//! Timestamps in the forms logs write them → epoch milliseconds (UTC).
//!
//! Accepted: ISO 8601 / RFC 3339 (`T` or space, optional fraction, `Z`, `±hh[:mm]`, or a zone
//! name), `yyyy/mm/dd hh:mm:ss`, RFC 3164 `Mmm dd hh:mm:ss` (year from the reference time),
//! ctime `Www Mmm dd hh:mm:ss[.f] yyyy`, RFC 2822 / HTTP `Www, dd Mmm yyyy hh:mm:ss zone`,
//! Apache `[10/Oct/2000:13:55:36 -0700]`, US `mm/dd/yyyy hh:mm:ss [AM|PM]`, and epoch
//! seconds / ms / µs / ns written as integers or decimals (unit from the magnitude).
//! Text without a zone is read as UTC. Parsing is byte-level and allocation-free.

use serde::{Deserialize, Serialize};

/// A parsed timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// Epoch milliseconds, UTC.
    pub ms: i64,
    /// Offset from UTC the text stated, in minutes (`None` when it named no zone).
    pub offset_minutes: Option<i32>,
}

/// Earliest and latest instants accepted (1971-01-01 .. 2200-01-01): anything else is a
/// counter or an id, not a time.
const MIN_MS: i64 = 31_536_000_000;
const MAX_MS: i64 = 7_258_118_400_000;

/// Parses `text` as a timestamp. `reference_ms` (usually the ingest time) supplies the year
/// for formats that omit it.
pub fn parse(text: &str, reference_ms: i64) -> Option<Timestamp> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']').trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let b = t.as_bytes();
    let ts = if b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        epoch(t)
    } else if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[4], b'-' | b'/')
    {
        iso(b)
    } else if b.first().is_some_and(u8::is_ascii_digit) {
        apache(b).or_else(|| us_date(b)).or_else(|| day_month_year(b))
    } else if b.first().is_some_and(u8::is_ascii_alphabetic) {
        month_first(b, reference_ms).or_else(|| weekday_first(b, reference_ms))
    } else {
        None
    }?;
    (MIN_MS..=MAX_MS).contains(&ts.ms).then_some(ts)
}

/// Epoch number: the unit comes from the number of integer digits (10 s, 13 ms, 16 µs, 19 ns).
pub fn epoch(t: &str) -> Option<Timestamp> {
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    let ms = match int.len() {
        9..=11 => whole.checked_mul(1000)?.checked_add(frac_ms(frac))?,
        12..=14 => whole,
        15..=17 => whole / 1_000,
        18..=20 => whole / 1_000_000,
        _ => return None,
    };
    Some(Timestamp { ms, offset_minutes: None })
}

/// First three digits of a fraction of a second, as milliseconds.
fn frac_ms(frac: &str) -> i64 {
    let mut ms = 0i64;
    let mut n = 0;
    for c in frac.bytes().take(3) {
        ms = ms * 10 + i64::from(c - b'0');
        n += 1;
    }
    while n < 3 {
        ms *= 10;
        n += 1;
    }
    ms
}

/// A cursor over ASCII bytes.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cur { b, i: 0 }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn spaces(&mut self) -> usize {
        let start = self.i;
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        self.i - start
    }
    /// Between `min` and `max` digits.
    fn num(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.i;
        let mut v = 0i64;
        while self.i - start < max {
            match self.peek() {
                Some(c) if c.is_ascii_digit() => {
                    v = v * 10 + i64::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }
    fn word(&mut self) -> &'a [u8] {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        &self.b[start..self.i]
    }
    /// `.ddd` / `,ddd` fraction as milliseconds (absent: 0).
    fn fraction(&mut self) -> i64 {
        if matches!(self.peek(), Some(b'.') | Some(b','))
            && self.b.get(self.i + 1).is_some_and(u8::is_ascii_digit)
        {
            self.i += 1;
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            return frac_ms(std::str::from_utf8(&self.b[start..self.i]).unwrap_or(""));
        }
        0
    }
    fn rest(&self) -> &'a [u8] {
        self.b.get(self.i..).unwrap_or(&[])
    }
    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
}

/// `hh:mm[:ss[.f]]` → milliseconds into the day.
fn clock(c: &mut Cur) -> Option<i64> {
    let h = c.num(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let m = c.num(2, 2)?;
    let s = if c.eat(b':') { c.num(2, 2)? } else { 0 };
    let f = c.fraction();
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(((h * 60 + m) * 60 + s.min(59)) * 1000 + f)
}

/// Optional zone after a time: `Z`, `±hh`, `±hhmm`, `±hh:mm`, `UTC`/`GMT`[±..], or a common
/// abbreviation. `Some(None)` = no zone given; `None` = trailing text that is not a zone.
fn zone(c: &mut Cur) -> Option<Option<i32>> {
    c.spaces();
    if c.done() {
        return Some(None);
    }
    if c.eat(b'Z') || c.eat(b'z') {
        return c.done().then_some(Some(0));
    }
    if let Some(sign @ (b'+' | b'-')) = c.peek() {
        c.i += 1;
        let off = numeric_offset(c)?;
        return c.done().then_some(Some(if sign == b'-' { -off } else { off }));
    }
    let w = c.word();
    let base = named_zone(w)?;
    if let Some(sign @ (b'+' | b'-')) = c.peek() {
        c.i += 1;
        let off = numeric_offset(c)?;
        return c.done().then_some(Some(base + if sign == b'-' { -off } else { off }));
    }
    c.spaces();
    c.done().then_some(Some(base))
}

fn numeric_offset(c: &mut Cur) -> Option<i32> {
    let start = c.i;
    let hh = c.num(1, 2)?;
    let mm = if c.eat(b':') {
        c.num(2, 2)?
    } else if c.i - start == 2 {
        c.num(2, 2).unwrap_or(0)
    } else {
        0
    };
    if hh > 14 || mm > 59 {
        return None;
    }
    i32::try_from(hh * 60 + mm).ok()
}

fn named_zone(w: &[u8]) -> Option<i32> {
    let up = |s: &str| w.eq_ignore_ascii_case(s.as_bytes());
    Some(match () {
        _ if up("UTC") || up("GMT") || up("UT") || up("Z") || up("WET") => 0,
        _ if up("BST") || up("CET") || up("WEST") => 60,
        _ if up("CEST") || up("EET") => 120,
        _ if up("EEST") || up("MSK") => 180,
        _ if up("IST") => 330,
        _ if up("JST") || up("KST") => 540,
        _ if up("AEST") => 600,
        _ if up("AEDT") => 660,
        _ if up("EST") || up("CDT") => -300,
        _ if up("EDT") => -240,
        _ if up("CST") || up("MDT") => -360,
        _ if up("MST") || up("PDT") => -420,
        _ if up("PST") => -480,
        _ => return None,
    })
}

fn month(w: &[u8]) -> Option<u32> {
    const NAMES: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    if w.len() < 3 {
        return None;
    }
    let head = &w[..3];
    NAMES.iter().position(|m| head.eq_ignore_ascii_case(m)).map(|i| i as u32 + 1)
}

fn is_weekday(w: &[u8]) -> bool {
    const DAYS: [&[u8]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
    w.len() >= 3 && DAYS.iter().any(|d| w[..3].eq_ignore_ascii_case(d))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (None if the date does not exist).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> Option<i64> {
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    // Shift the year to start in March so the leap day is the last day of the year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Year of an epoch-ms instant.
pub fn year_of(ms: i64) -> i64 {
    // Civil-from-days, year only.
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(m <= 2)
}

fn finish(y: i64, m: u32, d: u32, day_ms: i64, zone: Option<i32>) -> Option<Timestamp> {
    let days = days_from_civil(y, m, d)?;
    let ms = days * 86_400_000 + day_ms - i64::from(zone.unwrap_or(0)) * 60_000;
    Some(Timestamp { ms, offset_minutes: zone })
}

/// `yyyy-mm-dd[(T| )hh:mm[:ss[.f]]][zone]`, also with `/` between the date parts.
fn iso(b: &[u8]) -> Option<Timestamp> {
    let mut c = Cur::new(b);
    let y = c.num(4, 4)?;
    let sep = c.peek()?;
    c.i += 1;
    let m = c.num(1, 2)? as u32;
    if !c.eat(sep) {
        return None;
    }
    let d = c.num(1, 2)? as u32;
    if c.done() {
        return finish(y, m, d, 0, None);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.spaces() > 0) {
        return None;
    }
    let day_ms = clock(&mut c)?;
    let z = zone(&mut c)?;
    finish(y, m, d, day_ms, z)
}

/// Apache `dd/Mon/yyyy:hh:mm:ss zone`.
fn apache(b: &[u8]) -> Option<Timestamp> {
    let mut c = Cur::new(b);
    let d = c.num(1, 2)? as u32;
    if !c.eat(b'/') {
        return None;
    }
    let m = month(c.word())?;
    if !c.eat(b'/') {
        return None;
    }
    let y = c.num(4, 4)?;
    if !c.eat(b':') {
        return None;
    }
    let day_ms = clock(&mut c)?;
    let z = zone(&mut c)?;
    finish(y, m, d, day_ms, z)
}

/// US `mm/dd/yyyy hh:mm[:ss] [AM|PM]`.
fn us_date(b: &[u8]) -> Option<Timestamp> {
    let mut c = Cur::new(b);
    let m = c.num(1, 2)? as u32;
    if !c.eat(b'/') {
        return None;
    }
    let d = c.num(1, 2)? as u32;
    if !c.eat(b'/') {
        return None;
    }
    let y = c.num(4, 4)?;
    if c.done() {
        return finish(y, m, d, 0, None);
    }
    if c.spaces() == 0 && !c.eat(b',') {
        return None;
    }
    c.spaces();
    let mut day_ms = clock(&mut c)?;
    c.spaces();
    let rest = c.rest();
    if rest.len() >= 2
        && (rest[..2].eq_ignore_ascii_case(b"AM") || rest[..2].eq_ignore_ascii_case(b"PM"))
    {
        let pm = rest[..2].eq_ignore_ascii_case(b"PM");
        let hour = day_ms / 3_600_000;
        if !(1..=12).contains(&hour) {
            return None;
        }
        day_ms = day_ms % 3_600_000 + (hour % 12 + if pm { 12 } else { 0 }) * 3_600_000;
        c.i += 2;
    }
    let z = zone(&mut c)?;
    finish(y, m, d, day_ms, z)
}

/// RFC 2822 body after the weekday: `dd Mon yyyy hh:mm[:ss] zone`.
fn day_month_year(b: &[u8]) -> Option<Timestamp> {
    let mut c = Cur::new(b);
    let d = c.num(1, 2)? as u32;
    if c.spaces() == 0 && !c.eat(b'-') {
        return None;
    }
    let m = month(c.word())?;
    if c.spaces() == 0 && !c.eat(b'-') {
        return None;
    }
    let y = c.num(4, 4)?;
    if c.spaces() == 0 && !c.eat(b':') {
        return None;
    }
    let day_ms = clock(&mut c)?;
    let z = zone(&mut c)?;
    finish(y, m, d, day_ms, z)
}

/// `Mon dd [yyyy] hh:mm:ss[.f] [zone]` (RFC 3164 and Cisco-style) or ctime
/// `Mon dd hh:mm:ss[.f] yyyy`. Without a year, the year is the reference's, or the one
/// before when that would put the time more than a day after the reference.
fn month_first(b: &[u8], reference_ms: i64) -> Option<Timestamp> {
    let mut c = Cur::new(b);
    let m = month(c.word())?;
    if c.spaces() == 0 {
        return None;
    }
    let d = c.num(1, 2)? as u32;
    if c.spaces() == 0 {
        return None;
    }
    let save = c.i;
    let year_before = c.num(4, 4).filter(|_| c.spaces() > 0);
    if year_before.is_none() {
        c.i = save;
    }
    let day_ms = clock(&mut c)?;
    let save = c.i;
    c.spaces();
    let year_after = c.num(4, 4);
    if year_after.is_none() {
        c.i = save;
    }
    let z = zone(&mut c)?;
    if let Some(y) = year_before.or(year_after) {
        return finish(y, m, d, day_ms, z);
    }
    let y = year_of(reference_ms);
    let ts = finish(y, m, d, day_ms, z)?;
    if ts.ms > reference_ms.saturating_add(86_400_000) {
        return finish(y - 1, m, d, day_ms, z);
    }
    Some(ts)
}

/// A leading weekday: `Wed Apr 16 16:09:40.056610 2025` or `Tue, 15 Nov 1994 08:12:31 GMT`.
fn weekday_first(b: &[u8], reference_ms: i64) -> Option<Timestamp> {
    let mut c = Cur::new(b);
    if !is_weekday(c.word()) {
        return None;
    }
    c.eat(b',');
    c.spaces();
    let rest = c.rest();
    if rest.first().is_some_and(u8::is_ascii_digit) {
        day_month_year(rest)
    } else {
        month_first(rest, reference_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-06-01T00:00:00Z
    const REF: i64 = 1_717_200_000_000;

    fn ms(s: &str) -> Option<i64> {
        parse(s, REF).map(|t| t.ms)
    }

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(2024, 2, 29), Some(19_782));
        assert_eq!(days_from_civil(2023, 2, 29), None);
        assert_eq!(year_of(REF), 2024);
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(951_782_400_000), 2000); // 2000-02-29
    }

    #[test]
    fn iso_8601_variants() {
        assert_eq!(ms("2024-06-01T00:00:00Z"), Some(REF));
        assert_eq!(ms("2024-06-01T02:00:00+02:00"), Some(REF));
        assert_eq!(ms("2024-06-01T02:00:00+0200"), Some(REF));
        assert_eq!(ms("2024-05-31T19:00:00-05"), Some(REF));
        assert_eq!(ms("2024-06-01T00:00:00.123456789Z"), Some(REF + 123));
        assert_eq!(ms("2024-06-01 00:00:00.5"), Some(REF + 500));
        assert_eq!(ms("2024/06/01 00:00:00"), Some(REF));
        assert_eq!(ms("2024-06-01"), Some(REF));
        assert_eq!(ms("2024-06-01 00:00:00 UTC"), Some(REF));
        assert_eq!(ms("2024-05-31 17:00:00 PDT"), Some(REF));
        let t = parse("2024-06-01T02:00:00+02:00", REF).unwrap();
        assert_eq!(t.offset_minutes, Some(120));
        assert_eq!(parse("2024-06-01T00:00:00", REF).unwrap().offset_minutes, None);
    }

    #[test]
    fn line_log_formats() {
        assert_eq!(ms("[01/Jun/2024:02:00:00 +0200]"), Some(REF));
        assert_eq!(ms("10/Oct/2000:13:55:36 -0700"), Some(971_211_336_000));
        assert_eq!(ms("Jun  1 00:00:00"), Some(REF));
        assert_eq!(ms("Jun 1 2024 00:00:00"), Some(REF));
        assert_eq!(ms("Sat Jun  1 00:00:00.056610 2024"), Some(REF + 56));
        assert_eq!(ms("Sat, 01 Jun 2024 00:00:00 GMT"), Some(REF));
        assert_eq!(ms("06/01/2024 12:00:00 AM"), Some(REF));
        assert_eq!(ms("06/01/2024 1:30:00 PM"), Some(REF + 13 * 3_600_000 + 30 * 60_000));
        assert_eq!(ms("01-Jun-2024 00:00:00"), Some(REF));
    }

    #[test]
    fn year_less_dates_take_the_reference_year_or_the_one_before() {
        // December seen in early June is last December.
        let dec = ms("Dec 31 23:59:59").unwrap();
        assert_eq!(year_of(dec), 2023);
        // A day later than the reference is still this year (clock skew).
        assert_eq!(year_of(ms("Jun  1 12:00:00").unwrap()), 2024);
    }

    #[test]
    fn epoch_numbers_by_magnitude() {
        assert_eq!(ms("1717200000"), Some(REF));
        assert_eq!(ms("1717200000.25"), Some(REF + 250));
        assert_eq!(ms("1717200000123"), Some(REF + 123));
        assert_eq!(ms("1717200000123456"), Some(REF + 123));
        assert_eq!(ms("1717200000123456789"), Some(REF + 123));
        assert_eq!(ms("42"), None);
        assert_eq!(ms("99999999999999999999999"), None);
    }

    #[test]
    fn rejects_non_timestamps_without_panicking() {
        for s in [
            "",
            "hello",
            "2024-13-01",
            "2024-02-30T00:00:00Z",
            "25:00:00",
            "Foo 12 00:00:00",
            "2024-06-01T00:00:00+99:00",
            "2024-06-01T00:00:00 nonsense",
            "[",
            "]",
            "1.2.3.4",
            "Jun",
            "Jun 1",
            "2024-06-01T",
            "\u{1F600}",
            "10/Oct/2000:99:00:00 +0000",
        ] {
            assert_eq!(ms(s), None, "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s, REF);
        }

        #[test]
        fn iso_round_trips(secs in MIN_MS / 1000..MAX_MS / 1000 - 1) {
            let t = ::time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let text = t.format(&::time::format_description::well_known::Rfc3339).unwrap();
            proptest::prop_assert_eq!(ms(&text), Some(secs * 1000));
        }
    }
}
