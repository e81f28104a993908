//! One analyst override, in plain Rust types (the edge maps it to its client's row type;
//! column order and types are in [`super::ddl`]). Classified events are
//! [`crate::sink::ClassifiedEvent`].

use uuid::Uuid;

/// An analyst's correction of one stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideRow {
    pub event_id: Uuid,
    pub class_uid: u32,
    pub activity_id: Option<i32>,
    pub who: String,
    pub at_ms: i64,
    pub note: String,
}
