//! Choosing the activity within a class: verbs and outcomes in the record's discriminating
//! values, the activities of the nearest labelled documents, and the class's prior.

use std::collections::HashMap;

use crate::features::Features;
use crate::schema::Class;
use crate::text;

/// Words that express an activity caption's token. Generic English/log vocabulary, not
/// tied to any one product.
fn synonyms(token: &str) -> &'static [&'static str] {
    match token {
        "create" => &[
            "create",
            "created",
            "add",
            "added",
            "new",
            "insert",
            "register",
            "provision",
            "generate",
            "make",
            "allocate",
        ],
        "read" => &[
            "read",
            "get",
            "describe",
            "list",
            "view",
            "viewed",
            "query",
            "search",
            "fetch",
            "lookup",
            "show",
            "download",
            "downloaded",
            "preview",
            "access",
            "accessed",
            "open",
            "opened",
        ],
        "update" => &[
            "update",
            "updated",
            "modify",
            "modified",
            "change",
            "changed",
            "set",
            "edit",
            "edited",
            "patch",
            "rename",
            "renamed",
            "replace",
            "attach",
            "assign",
            "configure",
            "move",
            "moved",
            "put",
        ],
        "delete" => &[
            "delete",
            "deleted",
            "remove",
            "removed",
            "destroy",
            "drop",
            "purge",
            "erase",
            "revoke",
            "detach",
            "unassign",
            "trash",
            "trashed",
            "terminate",
        ],
        "logon" => &[
            "logon",
            "login",
            "signin",
            "sign",
            "authenticate",
            "authenticated",
            "auth",
            "authentication",
            "accepted",
            "session",
            "loggedin",
            "log",
        ],
        "logoff" => &["logoff", "logout", "signout", "loggedout", "disconnect", "disconnected"],
        "open" => &[
            "open",
            "opened",
            "established",
            "establish",
            "start",
            "started",
            "connect",
            "connected",
        ],
        "close" => {
            &["close", "closed", "end", "ended", "finish", "finished", "teardown", "terminated"]
        }
        "reset" => &["reset", "rst"],
        "fail" => &["fail", "failed", "failure", "error", "timeout"],
        "refuse" => &[
            "refuse", "refused", "deny", "denied", "block", "blocked", "reject", "rejected",
            "drop", "dropped",
        ],
        "traffic" => &[
            "traffic",
            "pass",
            "passed",
            "allow",
            "allowed",
            "permit",
            "permitted",
            "accept",
            "flow",
            "conn",
        ],
        "listen" => &["listen", "listening", "bind"],
        "enable" => &["enable", "enabled", "activate", "activated", "unsuspend"],
        "disable" => &["disable", "disabled", "deactivate", "deactivated", "suspend", "suspended"],
        "lock" => &["lock", "locked", "lockout"],
        "unlock" => &["unlock", "unlocked"],
        "password" => &["password", "passwd", "credential", "credentials"],
        "change" => &["change", "changed", "update", "updated", "modify"],
        "launch" => &[
            "launch", "launched", "start", "started", "exec", "execve", "execute", "executed",
            "spawn", "create", "created", "run",
        ],
        "terminate" => &[
            "terminate",
            "terminated",
            "exit",
            "exited",
            "kill",
            "killed",
            "stop",
            "stopped",
            "end",
        ],
        "inject" => &["inject", "injection", "remote", "thread"],
        "query" => &["query", "request", "lookup", "question"],
        "response" => &["response", "answer", "reply"],
        "ticket" => &["ticket", "tgt", "krbtgt", "kerberos", "as"],
        "service" => &["service", "tgs"],
        "assign" => {
            &["assign", "assigned", "grant", "granted", "add", "added", "special", "privileges"]
        }
        "revoke" => &["revoke", "revoked", "remove", "removed"],
        "upload" => &["upload", "uploaded"],
        "download" => &["download", "downloaded"],
        "share" => &["share", "shared", "sharing"],
        "unshare" => &["unshare", "unshared"],
        "rename" => &["rename", "renamed"],
        "copy" => &["copy", "copied"],
        "move" => &["move", "moved"],
        "restore" => &["restore", "restored", "untrash", "untrashed"],
        "load" => &["load", "loaded", "imageload"],
        "unload" => &["unload", "unloaded"],
        "install" => &["install", "installed"],
        "uninstall" => &["uninstall", "uninstalled"],
        "clear" => &["clear", "cleared", "wipe"],
        "member" => &["member", "membership"],
        "add" => &["add", "added", "join"],
        "remove" => &["remove", "removed", "leave"],
        "get" => &["get"],
        "post" => &["post"],
        "put" => &["put"],
        "head" => &["head"],
        "options" => &["options"],
        "trace" => &["trace"],
        "patch" => &["patch"],
        "connect" => &["connect"],
        _ => &[],
    }
}

const VERB_WORDS: usize = 6;

/// The activity of `class` whose name's verb is the first word of `value` that names one:
/// `DeleteBucket` is Delete; of a dotted identifier, its last segment's first. The verb itself beats a synonym of another activity's verb
/// (`AddUserToGroup` is Add User, not Assign Privileges, whose synonyms include "add").
/// `None` when none of the first [`VERB_WORDS`] words of `value` names an activity.
pub fn by_verb(class: &Class, value: &str) -> Option<i64> {
    let verbs: Vec<(i64, String)> = class
        .activities
        .iter()
        .filter(|a| a.id != 0 && a.id != 99)
        .filter_map(|a| Some((a.id, text::tokens(&a.caption).into_iter().next()?)))
        .collect();
    let pick = |w: &String| {
        let exact = verbs.iter().find(|(_, v)| v == w);
        let synonym = || verbs.iter().find(|(_, v)| synonyms(v).contains(&w.as_str()));
        exact.or_else(synonym).map(|(id, _)| *id)
    };
    // A dotted or slashed identifier names its verb in its last segment
    // (`google.iam.admin.v1.CreateServiceAccount`, `v1.compute.instances.insert`,
    // `system.api_token.create`); a name (`DeleteBucket`) or a message leads with it.
    let value = value.trim();
    if !value.contains(char::is_whitespace) {
        if let Some((_, last)) = value.rsplit_once(['.', '/']) {
            if let Some(id) = text::tokens(last).iter().find_map(pick) {
                return Some(id);
            }
        }
    }
    text::tokens(value).iter().take(VERB_WORDS).find_map(pick)
}

/// Scores each activity of `class` for this record and returns the best one.
///
/// `neighbours` are (activity_id, weight) of nearby labelled documents of the same class, and
/// `trust` (0..1) scales their vote: 1 when they are of the record's own log, less when they are
/// other logs' documents, about other events, so the record's own verb or outcome word decides;
/// `prior` is the class's activity distribution in the KB. `names_event`: the record names
/// its event, so when neither its words nor documents about that event give an activity,
/// the answer is Other rather than the class's most common activity.
pub fn choose(
    class: &Class,
    f: &Features,
    neighbours: &[(Option<i64>, f32)],
    trust: f32,
    prior: Option<&HashMap<i64, usize>>,
    names_event: bool,
) -> i64 {
    // Words of the record that say what happened, weighted by how strongly.
    let mut words: HashMap<String, f32> = HashMap::new();
    for (k, v) in &f.discriminators {
        // A log's name (`kerberos`, `smb_files`) is the same for all of its activities.
        let log_name = crate::features::is_log_name_key(k);
        for (i, t) in text::tokens(v).into_iter().enumerate() {
            let w = if log_name {
                0.5
            } else if i == 0 {
                3.0
            } else {
                2.0
            };
            let e = words.entry(t).or_default();
            *e = e.max(w);
        }
    }
    for t in &f.value_tokens {
        words.entry(t.clone()).or_insert(0.5);
    }

    let mut best: Option<(i64, f32)> = None;
    let neighbour_total: f32 = neighbours.iter().map(|(_, w)| w).sum::<f32>().max(1e-6);
    for a in &class.activities {
        if a.id == 0 || a.id == 99 {
            continue;
        }
        let toks = text::tokens(&a.caption);
        let mut verb = 0.0f32;
        for t in &toks {
            let syn = synonyms(t);
            let m = std::iter::once(t.as_str())
                .chain(syn.iter().copied())
                .filter_map(|s| words.get(s))
                .fold(0.0f32, |acc, &w| acc.max(w));
            verb += m;
        }
        verb /= (toks.len().max(1) as f32).sqrt();
        let vote: f32 =
            neighbours.iter().filter(|(id, _)| *id == Some(a.id)).map(|(_, w)| w).sum::<f32>()
                / neighbour_total;
        let score = verb + 2.0 * trust * vote;
        if score > 0.0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((a.id, score));
        }
    }
    if let Some((id, _)) = best {
        return id;
    }
    // Nothing in the record or its neighbours: the class's most common activity, else Other.
    if names_event && class.activity(99).is_some() {
        return 99;
    }
    if let Some(p) = prior {
        if let Some((&id, _)) = p.iter().max_by_key(|(id, n)| (**n, -**id)) {
            return id;
        }
    }
    if class.activity(99).is_some() {
        99
    } else {
        0
    }
}
