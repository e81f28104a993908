//! OCSF 1.8.0 facts the compiled schema export in [`crate::schema`] does not carry, taken
//! from the official 1.8.0 export: which attributes a profile adds (and so are only allowed,
//! and only required, when the event lists that profile in `metadata.profiles`), and the
//! `at_least_one` / `just_one` constraints of objects, class constraints the compiled export
//! states differently, and string enumerations. A unit test checks these tables against the
//! official export when it is available (the external checker's package ships it).

/// Class constraints of the official export that the compiled export states differently
/// (it repeats the parent class's): both must hold. (class, kind, attributes).
pub(crate) const CLASS_CONSTRAINTS: &[(u32, &str, &[&str])] = &[
    (4002, "at_least_one", &["http_request", "http_response"]),
    (
        4014,
        "at_least_one",
        &[
            "connection_info",
            "session",
            "src_endpoint",
            "traffic",
            "tunnel_interface",
            "tunnel_type_id",
        ],
    ),
];

/// String attributes with enumerated values (the compiled model keeps integer enums only):
/// (object, attribute, values).
pub(crate) const STRING_ENUMS: &[(&str, &str, &[&str])] = &[
    ("cvss", "depth", &["Base", "Environmental", "Temporal"]),
    (
        "http_request",
        "http_method",
        &["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT", "PATCH"],
    ),
    ("osint", "tlp", &["AMBER", "AMBER STRICT", "CLEAR", "GREEN", "RED", "WHITE"]),
];

/// Allowed values of a string attribute of an object (empty: any).
pub(crate) fn string_enum(object: &str, name: &str) -> &'static [&'static str] {
    STRING_ENUMS
        .iter()
        .find(|(o, a, _)| *a == name && *o == object)
        .map(|(_, _, v)| *v)
        .unwrap_or(&[])
}

/// Profiles a class attribute needs; empty when the class defines it itself.
pub(crate) fn class_attribute_profiles(class_uid: u32, name: &str) -> &'static [&'static str] {
    let profiles = profiles_defining(name);
    if profiles.is_empty() {
        return &[];
    }
    if let Ok(i) = CLASS_NATIVE.binary_search_by_key(&class_uid, |(uid, _)| *uid) {
        if CLASS_NATIVE[i].1.contains(&name) {
            return &[];
        }
    }
    profiles
}

/// Profiles an object attribute needs; empty when always allowed.
pub(crate) fn object_attribute_profiles(object: &str, name: &str) -> &'static [&'static str] {
    if name.ends_with("_dt") {
        return &["datetime"];
    }
    OBJECT_PROFILE_ATTRIBUTES
        .iter()
        .find(|(o, a, _)| *a == name && *o == object)
        .map(|(_, _, p)| *p)
        .unwrap_or(&[])
}

/// Constraints of an object: (kind, attributes).
pub(crate) fn object_constraints(
    object: &str,
) -> impl Iterator<Item = (&'static str, &'static [&'static str])> + '_ {
    let start = OBJECT_CONSTRAINTS.partition_point(|(o, _, _)| *o < object);
    OBJECT_CONSTRAINTS[start..]
        .iter()
        .take_while(move |(o, _, _)| *o == object)
        .map(|(_, k, a)| (*k, *a))
}

/// Profiles that define a class-level attribute name (`*_dt` → `datetime`).
fn profiles_defining(name: &str) -> &'static [&'static str] {
    if name.ends_with("_dt") {
        return &["datetime"];
    }
    PROFILE_BY_ATTRIBUTE
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .map(|i| PROFILE_BY_ATTRIBUTE[i].1)
        .unwrap_or(&[])
}

/// Every class-level profile attribute → the profiles that define it, sorted by name.
pub(crate) const PROFILE_BY_ATTRIBUTE: &[(&str, &[&str])] = &[
    ("action", &["security_control"]),
    ("action_id", &["security_control"]),
    ("actor", &["host"]),
    ("ai_model", &["ai_operation"]),
    ("api", &["cloud"]),
    ("assignee", &["incident"]),
    ("assignee_group", &["incident"]),
    ("attacks", &["security_control"]),
    ("auid", &["linux/linux_users"]),
    ("authorizations", &["security_control"]),
    ("cloud", &["cloud"]),
    ("confidence", &["security_control"]),
    ("confidence_id", &["security_control"]),
    ("confidence_score", &["security_control"]),
    ("container", &["container"]),
    ("data_classification", &["data_classification"]),
    ("data_classifications", &["data_classification"]),
    ("device", &["host"]),
    ("disposition", &["security_control"]),
    ("disposition_id", &["security_control"]),
    ("egid", &["linux/linux_users", "macos/macos_users"]),
    ("euid", &["linux/linux_users", "macos/macos_users"]),
    ("firewall_rule", &["security_control"]),
    ("group", &["linux/linux_users"]),
    ("impact", &["incident"]),
    ("impact_id", &["incident"]),
    ("impact_score", &["incident"]),
    ("is_alert", &["security_control"]),
    ("is_suspected_breach", &["incident"]),
    ("load_balancer", &["load_balancer"]),
    ("malware", &["security_control"]),
    ("malware_scan_info", &["security_control"]),
    ("message_context", &["ai_operation"]),
    ("namespace_pid", &["container"]),
    ("osint", &["osint"]),
    ("policy", &["security_control"]),
    ("priority", &["incident"]),
    ("priority_id", &["incident"]),
    ("proxy_connection_info", &["network_proxy"]),
    ("proxy_endpoint", &["network_proxy"]),
    ("proxy_http_request", &["network_proxy"]),
    ("proxy_http_response", &["network_proxy"]),
    ("proxy_tls", &["network_proxy"]),
    ("proxy_traffic", &["network_proxy"]),
    ("risk_details", &["security_control"]),
    ("risk_level", &["security_control"]),
    ("risk_level_id", &["security_control"]),
    ("risk_score", &["security_control"]),
    ("src_url", &["incident"]),
    ("ticket", &["incident"]),
    ("tickets", &["incident"]),
    ("trace", &["trace"]),
    ("verdict", &["incident"]),
    ("verdict_id", &["incident"]),
];

/// Class-level attributes each profile adds (`*_dt` attributes belong to `datetime`).
#[cfg(test)]
pub(crate) const PROFILE_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("ai_operation", &["ai_model", "message_context"]),
    ("cloud", &["api", "cloud"]),
    ("container", &["container", "namespace_pid"]),
    ("data_classification", &["data_classification", "data_classifications"]),
    ("host", &["actor", "device"]),
    (
        "incident",
        &[
            "assignee",
            "assignee_group",
            "impact",
            "impact_id",
            "impact_score",
            "is_suspected_breach",
            "priority",
            "priority_id",
            "src_url",
            "ticket",
            "tickets",
            "verdict",
            "verdict_id",
        ],
    ),
    ("linux/linux_users", &["auid", "egid", "euid", "group"]),
    ("load_balancer", &["load_balancer"]),
    ("macos/macos_users", &["egid", "euid"]),
    (
        "network_proxy",
        &[
            "proxy_connection_info",
            "proxy_endpoint",
            "proxy_http_request",
            "proxy_http_response",
            "proxy_tls",
            "proxy_traffic",
        ],
    ),
    ("osint", &["osint"]),
    (
        "security_control",
        &[
            "action",
            "action_id",
            "attacks",
            "authorizations",
            "confidence",
            "confidence_id",
            "confidence_score",
            "disposition",
            "disposition_id",
            "firewall_rule",
            "is_alert",
            "malware",
            "malware_scan_info",
            "policy",
            "risk_details",
            "risk_level",
            "risk_level_id",
            "risk_score",
        ],
    ),
    ("trace", &["trace"]),
];

/// Class attributes a profile also defines but the class defines itself (not profile-gated).
pub(crate) const CLASS_NATIVE: &[(u32, &[&str])] = &[
    (1001, &["actor", "device"]),
    (1002, &["actor", "device"]),
    (1003, &["actor", "device"]),
    (1004, &["actor", "device"]),
    (1005, &["actor", "device"]),
    (1006, &["actor", "device"]),
    (1007, &["actor", "device"]),
    (1008, &["actor", "device"]),
    (1009, &["actor", "device"]),
    (1010, &["actor", "device"]),
    (
        2001,
        &[
            "attacks",
            "confidence",
            "confidence_id",
            "confidence_score",
            "impact",
            "impact_id",
            "impact_score",
            "malware",
            "risk_level",
            "risk_level_id",
            "risk_score",
        ],
    ),
    (2002, &["confidence", "confidence_id", "confidence_score", "device"]),
    (2003, &["confidence", "confidence_id", "confidence_score", "device"]),
    (
        2004,
        &[
            "confidence",
            "confidence_id",
            "confidence_score",
            "device",
            "impact",
            "impact_id",
            "impact_score",
            "is_alert",
            "malware",
            "malware_scan_info",
            "risk_details",
            "risk_level",
            "risk_level_id",
            "risk_score",
        ],
    ),
    (
        2005,
        &[
            "assignee",
            "assignee_group",
            "attacks",
            "confidence",
            "confidence_id",
            "confidence_score",
            "impact",
            "impact_id",
            "impact_score",
            "is_suspected_breach",
            "priority",
            "priority_id",
            "src_url",
            "ticket",
            "tickets",
            "verdict",
            "verdict_id",
        ],
    ),
    (
        2006,
        &[
            "actor",
            "confidence",
            "confidence_id",
            "confidence_score",
            "device",
            "impact",
            "impact_id",
            "impact_score",
            "is_alert",
            "risk_details",
            "risk_level",
            "risk_level_id",
            "risk_score",
        ],
    ),
    (2007, &["confidence", "confidence_id", "confidence_score", "device"]),
    (2008, &["confidence", "confidence_id", "confidence_score", "device"]),
    (3001, &["actor", "policy"]),
    (3002, &["actor"]),
    (3003, &["actor", "group"]),
    (3004, &["actor"]),
    (3005, &["actor"]),
    (3006, &["actor", "group"]),
    (4005, &["device"]),
    (4010, &["actor"]),
    (4014, &["device"]),
    (5001, &["actor", "device"]),
    (5002, &["actor", "device"]),
    (5003, &["actor"]),
    (5004, &["device"]),
    (5009, &["group"]),
    (5019, &["actor", "device"]),
    (5020, &["actor", "device"]),
    (5021, &["actor", "osint"]),
    (5023, &["cloud", "container"]),
    (5040, &["device"]),
    (6003, &["actor", "api"]),
    (6005, &["actor"]),
    (6006, &["actor"]),
    (6007, &["policy"]),
    (8001, &["proxy_endpoint"]),
    (8002, &["proxy_endpoint"]),
    (201001, &["actor", "device"]),
    (201002, &["actor", "device"]),
    (201003, &["actor", "device"]),
    (201004, &["actor", "device"]),
];

/// Object attributes gated by a profile (besides `*_dt` → `datetime`): (object, attribute, profiles).
pub(crate) const OBJECT_PROFILE_ATTRIBUTES: &[(&str, &str, &[&str])] = &[
    ("application", "region", &["cloud"]),
    ("database", "data_classification", &["data_classification"]),
    ("database", "data_classifications", &["data_classification"]),
    ("databucket", "cloud_partition", &["cloud"]),
    ("databucket", "data_classification", &["data_classification"]),
    ("databucket", "data_classifications", &["data_classification"]),
    ("databucket", "region", &["cloud"]),
    ("databucket", "zone", &["cloud"]),
    ("device", "container", &["container"]),
    ("device", "namespace_pid", &["container"]),
    ("email", "data_classification", &["data_classification"]),
    ("email", "data_classifications", &["data_classification"]),
    ("endpoint", "container", &["container"]),
    ("endpoint", "namespace_pid", &["container"]),
    ("file", "data_classification", &["data_classification"]),
    ("file", "data_classifications", &["data_classification"]),
    ("file", "is_public", &["cloud"]),
    ("file", "storage_class", &["cloud"]),
    ("metadata", "data_classification", &["data_classification"]),
    ("metadata", "data_classifications", &["data_classification"]),
    ("network_endpoint", "container", &["container"]),
    ("network_endpoint", "namespace_pid", &["container"]),
    ("network_proxy", "container", &["container"]),
    ("network_proxy", "namespace_pid", &["container"]),
    ("process", "auid", &["linux/linux_users"]),
    ("process", "container", &["container"]),
    ("process", "egid", &["linux/linux_users", "macos/macos_users"]),
    ("process", "euid", &["linux/linux_users", "macos/macos_users"]),
    ("process", "group", &["linux/linux_users"]),
    ("process", "namespace_pid", &["container"]),
    ("product", "data_classification", &["data_classification"]),
    ("product", "data_classifications", &["data_classification"]),
    ("resource_details", "cloud_partition", &["cloud"]),
    ("resource_details", "data_classification", &["data_classification"]),
    ("resource_details", "data_classifications", &["data_classification"]),
    ("resource_details", "provider", &["cloud"]),
    ("resource_details", "region", &["cloud"]),
    ("resource_details", "zone", &["cloud"]),
    ("web_resource", "data_classification", &["data_classification"]),
    ("web_resource", "data_classifications", &["data_classification"]),
    ("win/win_resource", "data_classification", &["data_classification"]),
    ("win/win_resource", "data_classifications", &["data_classification"]),
];

/// Object constraints: (object, kind, attributes); kind is `at_least_one` or `just_one`.
pub(crate) const OBJECT_CONSTRAINTS: &[(&str, &str, &[&str])] = &[
    ("account", "at_least_one", &["name", "uid"]),
    ("actor", "at_least_one", &["process", "user", "invoked_by", "session", "app_name", "app_uid"]),
    ("agent", "at_least_one", &["uid", "name"]),
    ("ai_model", "at_least_one", &["name", "uid"]),
    ("aircraft", "at_least_one", &["name", "serial_number", "uid", "uid_alt"]),
    ("analytic", "at_least_one", &["name", "uid"]),
    ("application", "at_least_one", &["uid", "name"]),
    ("assessment", "at_least_one", &["name", "uid"]),
    ("attack", "at_least_one", &["tactic", "technique", "sub_technique"]),
    ("autonomous_system", "at_least_one", &["number", "name"]),
    ("container", "at_least_one", &["uid", "name"]),
    ("d3f_tactic", "at_least_one", &["name", "uid"]),
    ("d3f_technique", "at_least_one", &["name", "uid"]),
    ("d3fend", "at_least_one", &["d3f_tactic", "d3f_technique"]),
    ("data_classification", "at_least_one", &["category_id", "confidentiality_id"]),
    (
        "data_security",
        "at_least_one",
        &["data_lifecycle_state_id", "detection_pattern", "detection_system_id", "policy"],
    ),
    ("database", "at_least_one", &["name", "uid"]),
    ("databucket", "at_least_one", &["name", "uid"]),
    (
        "device",
        "at_least_one",
        &["ip", "uid", "name", "hostname", "instance_uid", "interface_uid", "interface_name"],
    ),
    ("edge", "at_least_one", &["name", "uid"]),
    ("email", "at_least_one", &["from", "to"]),
    (
        "endpoint",
        "at_least_one",
        &["ip", "uid", "name", "hostname", "instance_uid", "interface_uid", "interface_name"],
    ),
    ("endpoint_connection", "at_least_one", &["network_endpoint", "code"]),
    (
        "evidences",
        "at_least_one",
        &[
            "actor",
            "api",
            "connection_info",
            "data",
            "database",
            "databucket",
            "device",
            "dst_endpoint",
            "email",
            "file",
            "process",
            "query",
            "src_endpoint",
            "url",
            "user",
            "job",
            "script",
            "reg_key",
            "reg_value",
            "win_service",
        ],
    ),
    ("extension", "at_least_one", &["name", "uid"]),
    ("feature", "at_least_one", &["name", "uid"]),
    ("firewall_rule", "at_least_one", &["name", "uid"]),
    ("function_invocation", "at_least_one", &["parameters", "return_value", "error"]),
    ("graph", "at_least_one", &["name", "uid"]),
    ("group", "at_least_one", &["name", "uid"]),
    ("idp", "at_least_one", &["name", "uid"]),
    ("kb_article", "at_least_one", &["uid", "src_url"]),
    ("key_value_object", "at_least_one", &["value", "values"]),
    ("load_balancer", "at_least_one", &["name", "uid"]),
    ("location", "at_least_one", &["city", "country", "postal_code", "region"]),
    ("logger", "at_least_one", &["name", "uid"]),
    ("malware", "at_least_one", &["name", "uid"]),
    ("malware_scan_info", "at_least_one", &["name", "uid"]),
    (
        "managed_entity",
        "at_least_one",
        &["name", "uid", "device", "group", "org", "policy", "user"],
    ),
    ("message_context", "at_least_one", &["application", "service"]),
    ("mitigation", "at_least_one", &["name", "uid"]),
    ("module", "at_least_one", &["load_type_id", "function_name"]),
    (
        "network_endpoint",
        "at_least_one",
        &[
            "ip",
            "uid",
            "name",
            "hostname",
            "svc_name",
            "instance_uid",
            "interface_uid",
            "interface_name",
            "domain",
        ],
    ),
    ("network_interface", "at_least_one", &["ip", "mac", "name", "hostname", "uid"]),
    (
        "network_proxy",
        "at_least_one",
        &[
            "ip",
            "uid",
            "name",
            "hostname",
            "svc_name",
            "instance_uid",
            "interface_uid",
            "interface_name",
            "domain",
        ],
    ),
    (
        "occurrence_details",
        "at_least_one",
        &[
            "cell_name",
            "column_name",
            "column_number",
            "end_line",
            "json_path",
            "page_number",
            "record_index_in_array",
            "row_number",
            "start_line",
        ],
    ),
    ("organization", "at_least_one", &["name", "uid"]),
    ("parameter", "at_least_one", &["name", "pre_value", "post_value"]),
    ("peripheral_device", "at_least_one", &["name", "uid"]),
    ("policy", "at_least_one", &["name", "type", "uid"]),
    ("process", "at_least_one", &["pid", "uid", "cpid"]),
    ("process_entity", "at_least_one", &["cmd_line", "name", "path", "pid", "uid", "cpid"]),
    ("product", "at_least_one", &["name", "uid"]),
    (
        "query_evidence",
        "just_one",
        &[
            "connection_info",
            "file",
            "folder",
            "group",
            "job",
            "kernel",
            "module",
            "network_interfaces",
            "peripheral_device",
            "process",
            "reg_key",
            "reg_value",
            "service",
            "session",
            "startup_item",
            "user",
        ],
    ),
    ("query_info", "at_least_one", &["name", "uid"]),
    ("reporter", "at_least_one", &["hostname", "ip", "name", "uid"]),
    ("resource_details", "at_least_one", &["name", "uid"]),
    ("rule", "at_least_one", &["name", "uid"]),
    ("scan", "at_least_one", &["name", "uid"]),
    ("service", "at_least_one", &["name", "uid"]),
    ("startup_item", "just_one", &["driver", "job", "process", "win_service"]),
    ("sub_technique", "at_least_one", &["name", "uid"]),
    ("table", "at_least_one", &["name", "uid"]),
    ("tactic", "at_least_one", &["name", "uid"]),
    ("technique", "at_least_one", &["name", "uid"]),
    ("ticket", "at_least_one", &["src_url", "uid"]),
    (
        "timespan",
        "at_least_one",
        &[
            "duration",
            "duration_days",
            "duration_hours",
            "duration_mins",
            "duration_months",
            "duration_secs",
            "duration_weeks",
            "duration_years",
            "end_time",
            "start_time",
        ],
    ),
    ("trait", "at_least_one", &["name", "uid"]),
    ("transformation_info", "at_least_one", &["name", "uid"]),
    ("unmanned_aerial_system", "at_least_one", &["name", "serial_number", "uid", "uid_alt"]),
    (
        "unmanned_system_operating_area",
        "at_least_one",
        &["city", "country", "postal_code", "region"],
    ),
    ("url", "at_least_one", &["url_string", "path"]),
    ("user", "at_least_one", &["account", "name", "uid"]),
    ("vulnerability", "just_one", &["advisory", "cve", "cwe"]),
    ("web_resource", "at_least_one", &["name", "uid"]),
    ("win/win_resource", "at_least_one", &["name", "uid"]),
    (
        "win/win_service",
        "at_least_one",
        &[
            "cmd_line",
            "service_category_id",
            "service_dependencies",
            "service_error_control_id",
            "service_start_name",
            "service_start_type_id",
            "service_type_id",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_agree() {
        assert!(CLASS_NATIVE.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(OBJECT_CONSTRAINTS.windows(2).all(|w| w[0].0 <= w[1].0));
        assert!(PROFILE_BY_ATTRIBUTE.windows(2).all(|w| w[0].0 < w[1].0));
        // The by-name index is the inverse of the per-profile lists.
        for (p, attrs) in PROFILE_ATTRIBUTES {
            for a in *attrs {
                assert!(profiles_defining(a).contains(p), "{a} / {p}");
            }
        }
        let pairs: usize = PROFILE_BY_ATTRIBUTE.iter().map(|(_, p)| p.len()).sum();
        assert_eq!(pairs, PROFILE_ATTRIBUTES.iter().map(|(_, a)| a.len()).sum::<usize>());
    }

    /// The official 1.8.0 export (PyPI `ocsf-json-schema`, what `$OCSF_SCHEMA` names under
    /// the test command).
    fn official() -> serde_json::Value {
        let path = crate::testutil::schema_export();
        let text = std::fs::read_to_string(&path).expect("the schema export reads");
        serde_json::from_str(&text).expect("the schema export is JSON")
    }

    #[test]
    fn tables_match_the_official_export() {
        let off = official();
        let classes = off["classes"].as_object().expect("classes");
        for c in classes.values() {
            let uid = c["uid"].as_u64().expect("uid") as u32;
            for (name, a) in c["attributes"].as_object().expect("attributes") {
                let want: Vec<&str> = a["profiles"]
                    .as_array()
                    .map(|p| p.iter().filter_map(|x| x.as_str()).collect())
                    .unwrap_or_default();
                let mut got = class_attribute_profiles(uid, name).to_vec();
                let mut want = want;
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "class {uid} attribute {name}");
            }
            if let Some(cons) = c["constraints"].as_object() {
                for (kind, names) in cons {
                    let names: Vec<&str> =
                        names.as_array().expect("list").iter().filter_map(|x| x.as_str()).collect();
                    if names.is_empty() {
                        continue;
                    }
                    let ours = CLASS_CONSTRAINTS
                        .iter()
                        .any(|(u, k, n)| *u == uid && k == kind && *n == names.as_slice());
                    let compiled_same = !CLASS_CONSTRAINTS.iter().any(|(u, _, _)| *u == uid);
                    assert!(ours || compiled_same, "class {uid} {kind} {names:?}");
                }
            }
        }
        for (oname, o) in off["objects"].as_object().expect("objects") {
            let want: Vec<(String, Vec<String>)> = o["constraints"]
                .as_object()
                .map(|c| {
                    c.iter()
                        .filter_map(|(k, v)| {
                            let n: Vec<String> = v
                                .as_array()?
                                .iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect();
                            (!n.is_empty()).then(|| (k.clone(), n))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let got: Vec<(String, Vec<String>)> = object_constraints(oname)
                .map(|(k, n)| (k.to_string(), n.iter().map(|s| s.to_string()).collect()))
                .collect();
            let mut want = want;
            want.sort();
            let mut got = got;
            got.sort();
            assert_eq!(got, want, "object {oname} constraints");
            for (name, a) in o["attributes"].as_object().expect("attributes") {
                let want: Vec<&str> = a["profiles"]
                    .as_array()
                    .map(|p| p.iter().filter_map(|x| x.as_str()).collect())
                    .unwrap_or_default();
                assert_eq!(
                    object_attribute_profiles(oname, name).to_vec(),
                    want,
                    "object {oname} attribute {name}"
                );
                if let Some(e) = a["enum"].as_object().filter(|_| a["type"] == "string_t") {
                    let mut want: Vec<&str> = e.keys().map(String::as_str).collect();
                    let mut got = string_enum(oname, name).to_vec();
                    want.sort_unstable();
                    got.sort_unstable();
                    assert_eq!(got, want, "object {oname} string enum {name}");
                }
            }
        }
    }

    #[test]
    fn lookups() {
        // Authentication defines actor itself; api only comes with the cloud profile.
        assert_eq!(class_attribute_profiles(3002, "actor"), &[] as &[&str]);
        assert_eq!(class_attribute_profiles(3002, "api"), &["cloud"]);
        assert_eq!(class_attribute_profiles(6003, "api"), &[] as &[&str]);
        assert_eq!(class_attribute_profiles(6003, "cloud"), &["cloud"]);
        assert_eq!(class_attribute_profiles(4001, "osint"), &["osint"]);
        assert_eq!(class_attribute_profiles(4001, "time_dt"), &["datetime"]);
        assert_eq!(class_attribute_profiles(4001, "src_endpoint"), &[] as &[&str]);
        assert_eq!(object_attribute_profiles("process", "auid"), &["linux/linux_users"]);
        assert_eq!(object_attribute_profiles("user", "name"), &[] as &[&str]);
        let user: Vec<_> = object_constraints("user").collect();
        assert_eq!(user, vec![("at_least_one", &["account", "name", "uid"][..])]);
        assert_eq!(object_constraints("nonexistent").count(), 0);
    }
}
