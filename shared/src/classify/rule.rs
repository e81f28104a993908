//! A pack line's activity rule applied to one record (`knowledge/README.md`,
//! "Machine-applicable activities"). The rule is the vendor's own mapping from a field's
//! value to the activity, so when the classifier decides a record by a line that has one, it
//! outranks the engine's guess from words and neighbours. Applied per record, after the shape
//! cache: two records of one shape can differ in the rule's field.

use std::borrow::Cow;

use crate::features::normalize_key;
use crate::kb::sources::ActivityRule;
use crate::parse::Record;
use crate::schema::Class;

use super::activity;

/// The activity `rule` gives `record` in `class`, or `None` when the record lacks the
/// rule's field or the rule has nothing for its value (the engine's choice then stands).
pub fn apply(rule: &ActivityRule, class: &Class, record: &Record) -> Option<i64> {
    let known = |a: i64| class.activity(a).is_some();
    if let Some(field) = &rule.field {
        let value = lookup(record, field)?;
        let value = value.trim();
        let hit = rule.values.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(value));
        return hit.map(|(_, a)| *a).or(rule.default).filter(|a| known(*a));
    }
    let field = rule.verb.as_deref()?;
    activity::by_verb(class, &lookup(record, field)?).filter(|a| known(*a))
}

/// The value of `field` in `record`: the whole path, else a path whose last segments are
/// `field` (`properties.operationName` for `operationName`), ASCII case ignored; array
/// indices do not count (`items[0].action` is `items.action`). A list of values (JSON's
/// `"msg_types": ["REQUEST", "ACK"]`) is its elements joined by commas, as Zeek's and other
/// tab-separated logs write a set, so one table serves both forms.
fn lookup<'r>(record: &'r Record, field: &str) -> Option<Cow<'r, str>> {
    let want = normalize_key(field);
    if want.is_empty() {
        return None;
    }
    // One pass, each key normalised once: a whole match wins, else the first field whose
    // trailing segments match.
    let mut by_segments = None;
    let mut elements: Vec<&str> = Vec::new();
    for f in &record.fields {
        let key = normalize_key(&f.key);
        if key.eq_ignore_ascii_case(&want) {
            if !f.key.ends_with(']') {
                return Some(Cow::Borrowed(f.value.as_str()));
            }
            elements.push(f.value.as_str());
            continue;
        }
        let cut = key.len().wrapping_sub(want.len());
        if by_segments.is_none()
            && key.len() > want.len()
            && key.is_char_boundary(cut)
            && key[..cut].ends_with('.')
            && key[cut..].eq_ignore_ascii_case(&want)
        {
            by_segments = Some(f.value.as_str());
        }
    }
    match elements.as_slice() {
        [] => by_segments.map(Cow::Borrowed),
        [one] => Some(Cow::Borrowed(one)),
        many => Some(Cow::Owned(many.join(","))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::parse::{Field, Format};
    use crate::schema::Schema;

    fn schema() -> Schema {
        Schema::load(&crate::testutil::schema_export()).expect("OCSF schema")
    }

    fn record(fields: &[(&str, &str)]) -> Record {
        Record {
            format: Format::Json,
            fields: fields.iter().map(|(k, v)| Field::new(*k, *v)).collect(),
        }
    }

    fn table(field: &str, values: &[(&str, i64)], default: Option<i64>) -> ActivityRule {
        ActivityRule {
            field: Some(field.into()),
            values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            default,
            verb: None,
        }
    }

    #[test]
    fn a_table_maps_the_fields_value_whatever_its_case_and_path() {
        let s = schema();
        let network = s.class(4001).unwrap();
        let rule = table("action", &[("allow", 6), ("deny", 5)], None);
        assert_eq!(apply(&rule, network, &record(&[("event.action", " DENY ")])), Some(5));
        assert_eq!(apply(&rule, network, &record(&[("action", "allow")])), Some(6));
        // A value the table lacks, no default: the engine's choice stands.
        assert_eq!(apply(&rule, network, &record(&[("action", "drop")])), None);
        // Present with an unlisted value: the default.
        let with_default = table("action", &[("allow", 6)], Some(99));
        assert_eq!(apply(&with_default, network, &record(&[("action", "drop")])), Some(99));
        // No such field: nothing, even with a default.
        assert_eq!(apply(&with_default, network, &record(&[("other", "allow")])), None);
        // A segment is matched whole: `transaction` is not `action`.
        assert_eq!(apply(&rule, network, &record(&[("transaction", "deny")])), None);
    }

    /// Zeek's DHCP log as JSON writes `msg_types` as a list, as TSV a comma-joined set: the
    /// pack's table (written for the TSV form) read only the list's first element, so a
    /// whole exchange was Discover.
    #[test]
    fn a_list_is_read_as_its_elements_joined() {
        let s = schema();
        let dhcp = s.class(4004).unwrap();
        let rule = table("msg_types", &[("DISCOVER,OFFER,REQUEST,ACK", 5), ("DISCOVER", 1)], None);
        let json = record(&[
            ("msg_types[0]", "DISCOVER"),
            ("msg_types[1]", "OFFER"),
            ("msg_types[2]", "REQUEST"),
            ("msg_types[3]", "ACK"),
        ]);
        assert_eq!(apply(&rule, dhcp, &json), Some(5));
        assert_eq!(
            apply(&rule, dhcp, &record(&[("msg_types", "DISCOVER,OFFER,REQUEST,ACK")])),
            Some(5)
        );
        assert_eq!(apply(&rule, dhcp, &record(&[("msg_types[0]", "DISCOVER")])), Some(1));
    }

    #[test]
    fn an_activity_outside_the_class_is_never_returned() {
        let s = schema();
        let network = s.class(4001).unwrap();
        let rule = table("action", &[("allow", 4242)], None);
        assert_eq!(apply(&rule, network, &record(&[("action", "allow")])), None);
    }

    #[test]
    fn a_verb_rule_reads_the_leading_verb_of_the_event_name() {
        let s = schema();
        let api = s.class(6003).unwrap();
        let rule = ActivityRule {
            field: None,
            values: BTreeMap::new(),
            default: None,
            verb: Some("eventName".into()),
        };
        let act = |name: &str| apply(&rule, api, &record(&[("eventName", name)]));
        assert_eq!(act("DeleteBucket"), Some(4));
        assert_eq!(act("CreateUser"), Some(1));
        assert_eq!(act("ListUsers"), Some(2));
        assert_eq!(act("PutBucketPolicy"), Some(3));
        assert_eq!(act("AssumeRole"), None);
        // Dotted identifiers name the verb last, past the first words.
        assert_eq!(act("google.iam.admin.v1.CreateServiceAccount"), Some(1));
        assert_eq!(act("v1.compute.instances.insert"), Some(1));
        assert_eq!(act("system.api_token.delete"), Some(4));
        // A message leads with its verb; a word past the first few is not the verb.
        assert_eq!(act("Deleted bucket logs"), Some(4));
        assert_eq!(act("Job for tenant alpha beta gamma was deleted"), None);
    }
}
