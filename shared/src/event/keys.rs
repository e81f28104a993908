//! The words of a source field's key, and what a reading of a field is ([`Cand`]): candidate
//! OCSF attribute paths, best first. The class decides later which of them exist. The
//! readings themselves are the table in `concepts`.
//!
//! A key is read as its last segment (`leaf`) plus the segments above it (`parents`), each
//! split into lowercase words (`sourceIPAddress` → source ip address, `id_orig_h` → id orig
//! h). Roles (source, destination, actor, target, device) come from any of those words;
//! the property (ip, port, user name, ...) from the leaf.

pub(crate) use super::concepts::concept;

/// How a source value becomes the attribute's value, beyond the attribute's own type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Conv {
    /// By the target attribute's schema type.
    Typed,
    /// An IP goes to `<endpoint>.ip`, anything else to `<endpoint>.hostname`.
    HostOrIp,
    /// Decimal or `0x` hexadecimal process id.
    Pid,
    /// Seconds (decimal) → milliseconds.
    SecondsToMs,
    /// `/path?query` → `url.path` (+ `url.query_string`); absolute URLs → `url.url_string`.
    Url,
    /// `HTTP/1.1` → `1.1`.
    HttpVersion,
    /// A path → its last component (`C:\x\cmd.exe` → `cmd.exe`).
    Basename,
    /// Whitespace-separated list → array of strings.
    Words,
    /// Outcome words → `status_id` (and the text to `status`).
    Outcome,
}

/// A field's reading: candidate attribute paths, how to convert, and how sure we are.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cand {
    pub paths: Vec<&'static str>,
    /// Further attributes the same value also fills (an e-mail is also the user name).
    pub also: Vec<&'static str>,
    pub conv: Conv,
    /// Higher wins when two fields land on the same attribute.
    pub score: i32,
}

impl Cand {
    pub(super) fn new(paths: &[&'static str], conv: Conv, score: i32) -> Cand {
        Cand { paths: paths.to_vec(), also: Vec::new(), conv, score }
    }

    pub(super) fn with_also(mut self, also: &[&'static str]) -> Self {
        self.also = also.to_vec();
        self
    }
}

/// Words of a key.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyWords {
    /// The last segment as written, lowercased, without `[n]`.
    pub raw_leaf: String,
    pub leaf: Vec<String>,
    /// Nearest parent last.
    pub parents: Vec<Vec<String>>,
    /// First `[n]` index in the key.
    pub index: Option<usize>,
}

impl KeyWords {
    pub fn new(key: &str) -> KeyWords {
        let index = first_index(key);
        let bare = strip_indices(key);
        let mut segs: Vec<Vec<String>> = bare
            .split('.')
            .map(crate::text::tokens)
            .filter(|t| !t.is_empty())
            .map(segment_run_together)
            .collect();
        let leaf = segs.pop().unwrap_or_default();
        let raw_leaf = bare.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        KeyWords { raw_leaf, leaf, parents: segs, index }
    }

    pub(super) fn leaf_has(&self, w: &str) -> bool {
        self.leaf.iter().any(|t| t == w)
    }

    pub(super) fn leaf_is(&self, words: &[&str]) -> bool {
        self.leaf.len() == words.len() && self.leaf.iter().zip(words).all(|(a, b)| a == b)
    }

    pub(super) fn any_has(&self, w: &str) -> bool {
        self.leaf_has(w) || self.parents.iter().any(|p| p.iter().any(|t| t == w))
    }

    pub(super) fn parent_has(&self, w: &str) -> bool {
        self.parents.iter().any(|p| p.iter().any(|t| t == w))
    }

    pub fn depth(&self) -> usize {
        self.parents.len()
    }
}

/// A DNS name: dotted labels of letters, digits and hyphens.
pub(crate) fn looks_like_hostname(v: &str) -> bool {
    v.len() <= 253
        && v.contains('.')
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// Words log field names are made of, for splitting all-lowercase run-together names
/// (`calleripaddress` → caller ip address).
const VOCABULARY: &[&str] = &[
    "account",
    "action",
    "address",
    "agent",
    "alternate",
    "app",
    "application",
    "auth",
    "authentication",
    "by",
    "caller",
    "category",
    "client",
    "code",
    "computer",
    "correlation",
    "country",
    "created",
    "date",
    "dest",
    "destination",
    "device",
    "display",
    "domain",
    "duration",
    "email",
    "error",
    "event",
    "host",
    "hostname",
    "id",
    "ip",
    "level",
    "location",
    "login",
    "message",
    "method",
    "ms",
    "name",
    "operation",
    "port",
    "principal",
    "process",
    "reason",
    "remote",
    "request",
    "resource",
    "result",
    "server",
    "service",
    "session",
    "severity",
    "signature",
    "source",
    "src",
    "status",
    "target",
    "tenant",
    "time",
    "timestamp",
    "type",
    "uri",
    "url",
    "user",
    "version",
];

/// Splits one all-lowercase token that is several vocabulary words run together; other
/// tokens are kept.
fn segment_run_together(tokens: Vec<String>) -> Vec<String> {
    if tokens.len() != 1 || tokens[0].len() < 7 {
        return tokens;
    }
    let t = &tokens[0];
    let mut out = Vec::new();
    let mut rest = t.as_str();
    while !rest.is_empty() {
        // Longest vocabulary word at the front.
        let Some(w) = VOCABULARY.iter().filter(|w| rest.starts_with(**w)).max_by_key(|w| w.len())
        else {
            return tokens;
        };
        out.push((*w).to_string());
        rest = &rest[w.len()..];
    }
    if out.len() < 2 {
        return tokens;
    }
    out
}

/// The leaf's words run together (`source i ps` → `sourceips`).
pub(super) fn leaf_text(k: &KeyWords) -> String {
    k.leaf.iter().filter(|w| !w.bytes().all(|c| c.is_ascii_digit())).map(String::as_str).collect()
}

/// `a[0].b[12]` → `a.b`.
pub(crate) fn strip_indices(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut depth = 0usize;
    for c in key.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn first_index(key: &str) -> Option<usize> {
    let open = key.find('[')?;
    let close = key[open..].find(']')? + open;
    key.get(open + 1..close)?.parse().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Src,
    Dst,
    Actor,
    Target,
    Member,
    None,
}

pub(super) const SRC: &[&str] = &[
    "src",
    "source",
    "client",
    "orig",
    "caller",
    "remote",
    "sender",
    "attacker",
    "access",
    "from",
    "calling",
    "initiator",
    "origin",
    "sourceips",
    "spt",
];
pub(super) const DST: &[&str] = &[
    "dst",
    "dest",
    "destination",
    "resp",
    "responder",
    "server",
    "to",
    "recipient",
    "called",
    "dpt",
];
const ACTOR: &[&str] = &[
    "actor",
    "subject",
    "initiator",
    "principal",
    "identity",
    "creator",
    "created",
    "invoker",
    "performed",
    "admin",
];
const TARGET: &[&str] = &["target", "affected", "entity", "new", "owned"];

/// The role words say, leaf first then nearer parents first. `for_user` reads actor/target
/// words; otherwise endpoint words.
pub(super) fn role(k: &KeyWords, for_user: bool) -> Role {
    let scan = |words: &[String]| -> Option<Role> {
        for w in words {
            let w = w.as_str();
            if for_user {
                if w == "principal" && k.leaf_has("user") {
                    continue;
                }
                if ACTOR.contains(&w) {
                    return Some(Role::Actor);
                }
                if TARGET.contains(&w) {
                    return Some(Role::Target);
                }
                if w == "member" {
                    return Some(Role::Member);
                }
            } else {
                if SRC.contains(&w) {
                    return Some(Role::Src);
                }
                if DST.contains(&w) || (w == "target" && !for_user) {
                    return Some(Role::Dst);
                }
            }
        }
        None
    };
    if let Some(r) = scan(&k.leaf) {
        return r;
    }
    for p in k.parents.iter().rev() {
        if let Some(r) = scan(p) {
            return r;
        }
    }
    Role::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_words() {
        let k = KeyWords::new("userIdentity.sessionContext.attributes.mfaAuthenticated");
        assert_eq!(k.leaf, vec!["mfa", "authenticated"]);
        assert_eq!(k.parents.len(), 3);
        assert_eq!(KeyWords::new("target[2].alternateId").index, Some(2));
        assert_eq!(KeyWords::new("id_orig_h").leaf, vec!["id", "orig", "h"]);
    }
}
