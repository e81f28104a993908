//! Regression tests for misclassifications fixed in the engine or the knowledge pack, run on
//! the real `knowledge/` and OCSF schema (skipped when the schema is absent). Records are our
//! own, shaped like the products' output, with placeholder addresses and names.

mod event_support;

use std::sync::OnceLock;

use ocsfmap::classify::{Classifier, Decision};

fn classifier() -> &'static Classifier {
    static CLF: OnceLock<Classifier> = OnceLock::new();
    CLF.get_or_init(|| event_support::lexical_classifier(&event_support::load_schema()))
}

fn classify(raw: &str) -> Decision {
    classifier().classify(raw)
}

fn cloudtrail(event_source: &str, event_name: &str, read_only: bool) -> String {
    format!(
        r#"{{"eventVersion":"1.05","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333","userName":"ops"}},"eventTime":"2024-03-04T10:00:00Z","eventSource":"{event_source}","eventName":"{event_name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0","requestParameters":{{"resourceId":"r-0example"}},"responseElements":null,"requestID":"req-1","eventID":"ev-1","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}}"#
    )
}

/// A CloudTrail call nothing in the KB names used to take the class of whichever CloudTrail
/// example shared most of its envelope (S3 data events: Datastore Activity). The log's
/// whole-log entry decides instead.
#[test]
fn an_unnamed_cloudtrail_call_is_api_activity() {
    for name in ["CreateRoute", "CreateNetworkAclEntry", "ModifyImageAttribute"] {
        let d = classify(&cloudtrail("ec2.amazonaws.com", name, false));
        assert_eq!(d.class_uid, 6003, "{name}: {:?}", d.candidates);
    }
}

/// ... and its activity comes from its own verb, or is Other when the verb is none of
/// Create/Read/Update/Delete, rather than the activity of other calls' examples.
#[test]
fn an_unnamed_call_takes_its_own_verb_or_other() {
    let d = classify(&cloudtrail("rds.amazonaws.com", "RebootDBInstance", false));
    assert_eq!((d.class_uid, d.activity_id), (6003, 99));
    let d = classify(&cloudtrail("s3.amazonaws.com", "PutBucketVersioning", false));
    assert_eq!((d.class_uid, d.activity_id), (6003, 3), "Put of a configuration is an update");
    let d = classify(&cloudtrail("ec2.amazonaws.com", "TerminateInstances", false));
    assert_eq!((d.class_uid, d.activity_id), (6003, 4));
}

/// Slack audit actions the pack does not list went to Authentication (the sign-in example
/// shares the envelope); they are the audit trail's API Activity.
#[test]
fn an_unlisted_slack_audit_action_is_api_activity() {
    let raw = r#"{"id":"a1b2c3d4-0000-4000-8000-000000000001","date_create":1709559000,"action":"barrier_deleted","actor":{"type":"user","user":{"id":"W0EXAMPLE1","name":"admin","email":"admin@example.com","team":"T0EXAMPLE"}},"entity":{"type":"barrier","barrier":{"id":"B0EXAMPLE","primary_usergroup":"S0EXAMPLE"}},"context":{"location":{"type":"enterprise","id":"E0EXAMPLE","name":"example","domain":"example"},"ua":"Mozilla/5.0","ip_address":"198.51.100.20"}}"#;
    let d = classify(raw);
    assert_eq!(d.class_uid, 6003, "{:?}", d.candidates);
}

/// UFW's audit lines report traffic (the pack had only BLOCK and ALLOW, so they took the
/// refusal of the BLOCK examples); BLOCK stays a refusal.
#[test]
fn ufw_audit_lines_are_traffic() {
    let audit = "Mar  5 09:00:02 web03 kernel: [UFW AUDIT] IN=eth0 OUT= MAC=52:54:00:00:00:01:52:54:00:00:00:02:08:00 SRC=203.0.113.70 DST=10.0.0.20 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=50000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0";
    let block = "Mar  5 09:00:03 web03 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:00:00:01:52:54:00:00:00:02:08:00 SRC=203.0.113.71 DST=10.0.0.20 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=2 DF PROTO=TCP SPT=50001 DPT=3389 WINDOW=64240 RES=0x00 SYN URGP=0";
    for (raw, activity) in [(audit, 6), (block, 5)] {
        let d = classify(raw);
        assert_eq!((d.class_uid, d.activity_id), (4001, activity), "{raw} {:#?}", d.evidence);
    }
}

/// Windows 5154 (a listen permitted by the Filtering Platform) was not in the pack; its
/// activity came from the other WFP events' examples until those stopped counting for an
/// event they do not name.
#[test]
fn windows_filtering_platform_listen_is_network_listen() {
    let raw = r#"{"EventID":5154,"Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"ws01.example.com","ProcessId":"1044","Application":"\\device\\harddiskvolume2\\windows\\system32\\svchost.exe","SourceAddress":"::","SourcePort":"3389","Protocol":"6","FilterRTID":"70490","LayerName":"%%14609","Message":"The Windows Filtering Platform has permitted an application or service to listen on a port for incoming connections."}"#;
    let d = classify(raw);
    assert_eq!((d.class_uid, d.activity_id), (4001, 7), "{:?}", d.candidates);
}

/// A LEEF record with event id 41 was filed as Base Event after the Windows System entry for
/// event 41 (Kernel-Power): a bare number names an event only within the product's log.
#[test]
fn a_numeric_event_id_of_another_product_does_not_decide() {
    let raw = "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=192.0.2.30^dst=198.51.100.40^spt=5555^dpt=445^proto=tcp^cat=Suspicious SMB Activity^sev=6";
    let d = classify(raw);
    assert_ne!(d.class_uid, 0, "{:?}", d.evidence);
    assert!(d.evidence.iter().all(|e| !e.title.contains("Kernel-Power")), "{:?}", d.evidence);
    // Windows records still meet the entry naming their event id.
    let win = r#"{"EventID":4625,"Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"ws02.example.com","TargetUserName":"bob","TargetDomainName":"EXAMPLE","LogonType":"3","Status":"0xc000006d","IpAddress":"203.0.113.5","Message":"An account failed to log on."}"#;
    let d = classify(win);
    assert_eq!((d.class_uid, d.activity_id), (3002, 1), "{:?}", d.evidence);
}

fn gcp_audit(service: &str, method: &str, principal: &str) -> String {
    format!(
        r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{{}},"authenticationInfo":{{"principalEmail":"{principal}@example.com"}},"requestMetadata":{{"callerIp":"192.0.2.61","callerSuppliedUserAgent":"google-cloud-sdk gcloud/465.0.0"}},"serviceName":"{service}","methodName":"{method}","resourceName":"projects/example-dev"}},"insertId":"-x1y2z3","resource":{{"type":"project","labels":{{"project_id":"example-dev"}}}},"timestamp":"2024-05-06T07:08:09.100Z","severity":"NOTICE","logName":"projects/example-dev/logs/cloudaudit.googleapis.com%2Factivity","receiveTimestamp":"2024-05-06T07:08:09.300Z"}}"#
    )
}

/// Analysts who file every GCP audit record as API Activity (the log's whole-log class)
/// corrected two other calls that way; `SetIamPolicy`, which the pack maps by meaning (User
/// Access Management), stayed there until corrections to the whole-log class carried the log.
#[test]
fn corrections_to_a_logs_whole_log_class_carry_its_other_events() {
    let schema = event_support::load_schema();
    let set_iam = gcp_audit("cloudresourcemanager.googleapis.com", "SetIamPolicy", "dana");
    let before = event_support::lexical_classifier(&schema).classify(&set_iam);
    assert_eq!(before.class_uid, 3005, "the pack's entry for the method: {:?}", before.candidates);
    let corrections = vec![
        ocsfmap::kb::sources::Labeled {
            raw: gcp_audit("compute.googleapis.com", "v1.compute.instances.insert", "eli"),
            class_uid: 6003,
            activity_id: Some(1),
            source: "analyst".into(),
        },
        ocsfmap::kb::sources::Labeled {
            raw: gcp_audit("storage.googleapis.com", "storage.buckets.delete", "fay"),
            class_uid: 6003,
            activity_id: Some(4),
            source: "analyst".into(),
        },
    ];
    let after = event_support::lexical_classifier_with(&schema, corrections).classify(&set_iam);
    assert_eq!(after.class_uid, 6003, "{:?}", after.candidates);
}

/// An access-log line for an HTTP CONNECT went to Authentication: the MySQL audit example
/// whose event is `connect` counted as naming its event. A short name, like a number, names
/// an event only within its product's log.
#[test]
fn an_http_connect_is_not_a_database_connect() {
    let raw = r#"192.0.2.10 - - [04/Mar/2024:10:17:44 +0000] "CONNECT example.com:443 HTTP/1.1" 400 166 "-" "-""#;
    let d = classify(raw);
    assert_eq!(d.class_uid, 4002, "{:?}", d.evidence);
}

/// An sshd line rejecting a generated user name went to HTTP Activity: a web log example
/// requesting a path with the same name matched its unique case and digit pieces, which
/// outweighed everything else the line says.
#[test]
fn a_shared_generated_name_does_not_decide() {
    let schema = event_support::load_schema();
    let name = "probe-run-Qx7LmPzKwRt4VbHsNq2JtYc";
    let web = ocsfmap::kb::sources::Labeled {
        raw: format!(
            r#"198.51.100.4 - - [04/Mar/2024:10:17:40 +0000] "GET /{name} HTTP/1.1" 404 153 "-" "curl/8.5.0""#
        ),
        class_uid: 4002,
        activity_id: Some(3),
        source: "web/access".into(),
    };
    let clf = event_support::lexical_classifier_from(&schema, vec![web], Vec::new());
    let d = clf.classify(&format!("Mar  4 10:17:41 bastion sshd-session[4061]: Invalid user {name} from 198.51.100.4 port 49916"));
    assert_eq!(d.class_uid, 3002, "{:?}", d.evidence);
}

fn cloudtrail_typed(event_source: &str, event_name: &str, event_type: Option<&str>) -> String {
    let typed = event_type.map(|t| format!(r#""eventType":"{t}","#)).unwrap_or_default();
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333","userName":"ops"}},"eventTime":"2024-03-04T10:00:00Z","eventSource":"{event_source}","eventName":"{event_name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"Mozilla/5.0",{typed}"requestParameters":null,"responseElements":{{"{event_name}":"Success"}},"recipientAccountId":"111122223333"}}"#
    )
}

/// A sign-in event the pack does not name (IAM Identity Center's `ExternalIdPDirectoryLogin`)
/// went to API Activity, CloudTrail's whole-log class. CloudTrail marks every sign-in with
/// `eventType` `AwsConsoleSignIn`, which has its own whole-log entry; other unnamed events,
/// with or without an `eventType`, keep the log's default.
#[test]
fn an_unnamed_cloudtrail_sign_in_is_authentication() {
    let cases = [
        (
            cloudtrail_typed(
                "signin.amazonaws.com",
                "ExternalIdPDirectoryLogin",
                Some("AwsConsoleSignIn"),
            ),
            3002,
        ),
        (
            cloudtrail_typed(
                "sso.amazonaws.com",
                "ListApplicationAssignmentsForPrincipal",
                Some("AwsApiCall"),
            ),
            6003,
        ),
        (
            cloudtrail_typed("sso.amazonaws.com", "ListApplicationAssignmentsForPrincipal", None),
            6003,
        ),
    ];
    for (raw, class) in cases {
        let d = classify(&raw);
        assert_eq!(d.class_uid, class, "{raw}: {:?}", d.evidence);
    }
}

/// Documented events the pack lacked went to the log's whole-log class or a neighbour's:
/// Box shared links (Detection Finding, from the Shield alert entry), Okta's admin-initiated
/// factor reset, GitHub's organization invitation and Slack's malicious-file detection (API
/// Activity).
#[test]
fn documented_sharing_factor_and_invitation_events() {
    let box_event = |t: &str| {
        format!(
            r#"{{"type":"event","event_id":"f0e1d2c3","event_type":"{t}","created_at":"2024-03-04T10:00:00-08:00","created_by":{{"type":"user","id":"1001","name":"Ann Example","login":"ann@example.com"}},"source":{{"type":"file","id":"2002","name":"plan.xlsx"}},"ip_address":"198.51.100.8","additional_details":{{"shared_link_id":"abc"}}}}"#
        )
    };
    let okta = r#"{"uuid":"5c1e0f6a-0000-4000-8000-000000000001","published":"2024-03-04T10:00:00.000Z","eventType":"system.mfa.factor.deactivate","version":"0","severity":"INFO","displayMessage":"Reset factor for user","actor":{"id":"00uadmin","type":"User","alternateId":"admin@example.com","displayName":"Admin"},"client":{"ipAddress":"198.51.100.9"},"outcome":{"result":"SUCCESS"},"target":[{"id":"00uuser","type":"User","alternateId":"bob@example.com"}]}"#;
    let github = r#"{"@timestamp":1709558400000,"_document_id":"Zx9example","action":"org.invite_member","actor":"owner1","actor_ip":"198.51.100.10","org":"example-org","user":"newdev","operation_type":"create","business":"example"}"#;
    let slack = r#"{"id":"a1b2c3d4-0000-4000-8000-000000000002","date_create":1709559000,"action":"file_malicious_content_detected","actor":{"type":"user","user":{"id":"W0EXAMPLE2","name":"dev","email":"dev@example.com","team":"T0EXAMPLE"}},"entity":{"type":"file","file":{"id":"F0EXAMPLE","name":"invoice.docm","filetype":"docm"}},"context":{"location":{"type":"workspace","id":"T0EXAMPLE","name":"example","domain":"example"},"ua":"Mozilla/5.0","ip_address":"198.51.100.21"}}"#;
    // The folder permission change and the invitation take their activity from their own
    // verbs (`CHANGE`, `operation_type: create`), which the activity chooser weighs first.
    let cases = [
        (box_event("ITEM_SHARED_CREATE"), 6006, Some(12)),
        (box_event("CHANGE_FOLDER_PERMISSION"), 6006, None),
        (okta.to_string(), 3001, Some(11)),
        (github.to_string(), 3006, None),
        (slack.to_string(), 2004, Some(1)),
    ];
    for (raw, class, activity) in cases {
        let d = classify(&raw);
        assert_eq!(d.class_uid, class, "{raw}: {:?}", d.evidence);
        if let Some(a) = activity {
            assert_eq!(d.activity_id, a, "{raw}");
        }
    }
}
