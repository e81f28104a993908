//! Sign-ins and sign-outs named by the record's event (`ConsoleLogin`, `user_login`,
//! `SignOut`). The schema has one class whose activities are Logon and Logoff; an event
//! whose name leads with one of those verbs is that class whatever product wrote it (sign-ins
//! are Authentication even in a control-plane audit log: knowledge/README.md's conventions).
//! When no document names the event, that verb must outrank a look-alike log's default
//! entry, which speaks for the log's unnamed API calls, not for its sign-ins.
//!
//! Only these two verbs: other verbs that name one class's activity (`add`, `install`,
//! `request`, `execute`) are also common words of API names (`executeCommand`,
//! `RequestCertificate`), where the log's own default is the better guide.

use std::collections::HashSet;

use crate::schema::Schema;
use crate::text;

/// Spellings of the Logon and Logoff verbs in event names (letters only, lower case), with
/// the schema's verb (the first word of the activity's caption) each stands for.
const FORMS: [(&str, &str); 8] = [
    ("logon", "logon"),
    ("login", "logon"),
    ("signin", "logon"),
    ("loggedin", "logon"),
    ("logoff", "logoff"),
    ("logout", "logoff"),
    ("signout", "logoff"),
    ("loggedout", "logoff"),
];

/// How many leading words of the event name are read for its verb.
const VERB_WORDS: usize = 6;

/// The session verb (`logon` or `logoff`) an event name leads with: the first of its words
/// that is a sign-in or sign-out form, or that contains one at its start or end (names written
/// without separators: `consolelogin`, `loginfailed`). `None` when a word that is another
/// activity's verb (`is_verb`: `update` in `update_login_profile`) comes first. Of a dotted
/// identifier only the last segment is read (`oslogin.v1.OsLoginService.GetLoginProfile` is a
/// read).
fn verb(name: &str, is_verb: impl Fn(&str) -> bool) -> Option<&'static str> {
    let name = name.trim();
    let name = match name.rsplit_once(['.', '/']) {
        Some((_, last)) if !name.contains(char::is_whitespace) => last,
        _ => name,
    };
    let tokens = text::tokens(name);
    // `sign in`, `log_out`: two words that make one verb.
    let mut words: Vec<String> = Vec::with_capacity(tokens.len());
    for t in tokens {
        match (words.last().map(String::as_str), t.as_str()) {
            (Some(a @ ("sign" | "log")), b @ ("in" | "on" | "out" | "off")) => {
                let joined = format!("{a}{b}");
                *words.last_mut().expect("checked") = joined;
            }
            _ => words.push(t),
        }
    }
    for w in words.iter().take(VERB_WORDS) {
        let form = FORMS
            .iter()
            .find(|(f, _)| w == f || (w.len() > f.len() && (w.starts_with(f) || w.ends_with(f))));
        if let Some((_, v)) = form {
            return Some(v);
        }
        if is_verb(w) {
            return None;
        }
    }
    None
}

/// What [`verb`] and its caller read of the schema, built once per knowledge base: the
/// schema's activity verbs (the first word of every activity caption of every class) and the
/// class each session verb names.
#[derive(Debug, Default)]
pub(crate) struct Verbs {
    activity: HashSet<String>,
    session: Vec<(&'static str, u32)>,
}

impl Verbs {
    pub(crate) fn build(schema: &Schema) -> Self {
        let activity = schema
            .classes
            .iter()
            .flat_map(|c| &c.activities)
            .map(|a| first_word(&a.caption))
            .collect();
        let session = ["logon", "logoff"]
            .into_iter()
            .filter_map(|v| Some((v, class_of(schema, v)?)))
            .collect();
        Verbs { activity, session }
    }

    /// The class an event name's own session verb says ([`verb`]), if any.
    pub(crate) fn class_of_name(&self, name: &str) -> Option<u32> {
        let v = verb(name, |w| self.activity.contains(w))?;
        self.session.iter().find(|(s, _)| *s == v).map(|(_, c)| *c)
    }
}

/// The one class with an activity whose caption begins with `verb`; `None` when none or
/// several have one.
fn class_of(schema: &Schema, verb: &str) -> Option<u32> {
    let mut found = schema
        .active_classes()
        .filter(|c| c.activities.iter().any(|a| first_word(&a.caption) == verb))
        .map(|c| c.uid);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

fn first_word(caption: &str) -> String {
    text::tokens(caption).into_iter().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_verb(w: &str) -> bool {
        matches!(w, "create" | "update" | "delete" | "get" | "read" | "logon" | "logoff")
    }

    #[test]
    fn reads_the_leading_verb_of_event_names() {
        for (name, want) in [
            ("ConsoleLogin", Some("logon")),
            ("consolelogin", Some("logon")),
            ("ExternalIdPDirectoryLogin", Some("logon")),
            ("user_login", Some("logon")),
            ("Sign-in activity", Some("logon")),
            ("login_failed", Some("logon")),
            ("SignOut", Some("logoff")),
            ("user.logout", Some("logoff")),
            ("log_off", Some("logoff")),
            // Another verb comes first: the event is about a login profile, not a sign-in.
            ("UpdateLoginProfile", None),
            ("updateloginprofile", None),
            // Of a dotted identifier, the last segment.
            ("google.cloud.oslogin.v1.OsLoginService.GetLoginProfile", None),
            ("user.session.start", None),
            ("AssumeRole", None),
        ] {
            assert_eq!(verb(name, api_verb), want, "{name}");
        }
    }

    #[test]
    fn the_schema_names_one_class_for_logon() {
        let schema = Schema::load(&crate::testutil::schema_export()).expect("schema");
        let auth = class_of(&schema, "logon").expect("one class has Logon");
        assert_eq!(schema.class(auth).map(|c| c.caption.as_str()), Some("Authentication"));
        assert_eq!(class_of(&schema, "logoff"), Some(auth));
        // A verb of many classes names none.
        assert_eq!(class_of(&schema, "create"), None);
        let verbs = Verbs::build(&schema);
        assert!(verbs.activity.contains("logon") && !verbs.activity.contains("login"));
        assert_eq!(verbs.class_of_name("ConsoleLogin"), Some(auth));
        assert_eq!(verbs.class_of_name("UpdateLoginProfile"), None);
    }
}
