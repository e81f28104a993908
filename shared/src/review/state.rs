//! A correction's state, from the rebuild runs recorded after it: a run that read the
//! correction (its `overrides_through` is not older than the correction) either put it in
//! the KB it published (or found serving), or was refused by the quality gate. The newest
//! such run decides; none yet means pending.

use serde::Serialize;

use crate::store::review::{BuildRow, CorrectionRow};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct State {
    /// `pending`, `in_kb`, `refused` or `withdrawn`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kb_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `builds` newest first (as the builds query returns them).
pub fn of(c: &CorrectionRow, builds: &[BuildRow]) -> State {
    if c.withdrawn {
        return State { status: "withdrawn", kb_version: None, reason: None };
    }
    match builds.iter().find(|b| b.overrides_through_ms >= c.at_ms) {
        None => State { status: "pending", kb_version: None, reason: None },
        Some(b) if b.outcome == "refused" => State {
            status: "refused",
            kb_version: Some(b.kb_version.clone()),
            reason: Some(b.reason.clone()),
        },
        Some(b) => State { status: "in_kb", kb_version: Some(b.kb_version.clone()), reason: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signature;

    fn build(at: i64, outcome: &str, through: i64) -> BuildRow {
        BuildRow {
            at_ms: at,
            outcome: outcome.into(),
            kb_version: format!("v{at}"),
            overrides_through_ms: through,
            reason: if outcome == "refused" { "gate".into() } else { String::new() },
        }
    }

    #[test]
    fn pending_then_refused_then_in_kb() {
        let c = CorrectionRow {
            signature: Signature(1),
            source: "s".into(),
            class_uid: 1001,
            activity_id: None,
            who: "a".into(),
            at_ms: 100,
            note: String::new(),
            withdrawn: false,
        };
        assert_eq!(of(&c, &[build(90, "published", 50)]).status, "pending");
        let refused = [build(110, "refused", 100), build(90, "published", 50)];
        let s = of(&c, &refused);
        assert_eq!((s.status, s.reason.as_deref()), ("refused", Some("gate")));
        let later = [build(130, "published", 120), build(110, "refused", 100)];
        let s = of(&c, &later);
        assert_eq!((s.status, s.kb_version.as_deref()), ("in_kb", Some("v130")));
        let w = CorrectionRow { withdrawn: true, ..c };
        assert_eq!(of(&w, &later).status, "withdrawn");
    }
}
