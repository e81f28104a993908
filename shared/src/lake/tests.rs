use std::path::Path;

use arrow_array::{
    Array, Int32Array, Int64Array, RecordBatch, StringArray, StructArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::json;

use super::*;
use crate::version::export_path;

fn version(v: &str) -> OutputVersion {
    let dir = crate::testutil::schema_export();
    let dir = Path::new(&dir).parent().expect("export directory");
    OutputVersion::load(&export_path(dir, v).unwrap(), v).unwrap()
}

fn layout() -> Layout {
    Layout::new("", "eu-west-1", "111122223333", parse_sources("3002=auth,4001=net").unwrap())
        .unwrap()
}

fn auth(uid: &str, time: i64, user: &str) -> LakeEvent {
    LakeEvent {
        class_uid: 3002,
        time_ms: time,
        event: json!({
            "class_uid": 3002, "category_uid": 3, "activity_id": 1, "type_uid": 300201,
            "severity_id": 1, "time": time,
            "metadata": {"version": "1.3.0", "uid": uid, "product": {"name": "p", "vendor_name": "v"}},
            "user": {"name": user, "groups": [{"name": "admins"}]},
            "src_endpoint": {"ip": "192.0.2.1", "port": 50000},
            "unmapped": {"LogonProcess": "Kerberos"}
        }),
        raw: format!("raw record of {user}"),
    }
}

fn read(bytes: Vec<u8>) -> Vec<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .expect("a Parquet file")
        .build()
        .expect("reader");
    reader.map(|b| b.expect("batch")).collect()
}

#[test]
fn columns_carry_the_versions_ocsf_types() {
    let v = version("1.3.0");
    let s = class_schema(v.target(), 3002, Depth::default(), false).unwrap();
    let ty = |n: &str| s.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(ty("time"), DataType::Timestamp(TimeUnit::Millisecond, Some(columns::UTC.into())));
    assert_eq!(ty("activity_id"), DataType::Int32);
    assert_eq!(ty("type_uid"), DataType::Int64);
    assert_eq!(ty("raw_data"), DataType::Utf8);
    let unmapped = s.field_with_name("unmapped").unwrap();
    assert_eq!(unmapped.metadata().get(columns::JSON_MARK).map(String::as_str), Some("true"));
    // `user` is a struct; its `groups` a list of structs; one level further is JSON text.
    let DataType::Struct(user) = ty("user") else { panic!("user: {:?}", ty("user")) };
    let groups = user.find("groups").unwrap().1;
    let DataType::List(item) = groups.data_type() else { panic!("{groups:?}") };
    let DataType::Struct(group) = item.data_type() else { panic!("{item:?}") };
    assert_eq!(group.find("name").unwrap().1.data_type(), &DataType::Utf8);
    assert!(class_schema(v.target(), 3002, Depth::default(), true)
        .unwrap()
        .field_with_name("raw_data")
        .is_err());
    assert!(class_schema(v.target(), 999_999, Depth::default(), false).is_none());
}

#[test]
fn recursive_objects_stop_at_their_second_appearance() {
    let v = version("1.8.0");
    let deep = Depth { levels: 4, repeats: 2 };
    let s = class_schema(v.target(), 1007, deep, false).unwrap();
    let DataType::Struct(process) = s.field_with_name("process").unwrap().data_type().clone()
    else {
        panic!()
    };
    let (_, parent) = process.find("parent_process").unwrap();
    let DataType::Struct(parent) = parent.data_type() else { panic!("{parent:?}") };
    let (_, grandparent) = parent.find("parent_process").unwrap();
    assert_eq!(grandparent.data_type(), &DataType::Utf8, "the third process is JSON text");
    assert!(grandparent.metadata().contains_key(columns::JSON_MARK));
}

#[test]
fn a_file_holds_every_event_sorted_by_time_with_types_and_nothing_lost() {
    let v = version("1.3.0");
    let events =
        vec![auth("b", 2_000, "bob"), auth("a", 1_000, "alice"), auth("c", 3_000, "carol")];
    let mut planned = plan(&layout(), events);
    assert_eq!(planned.files.len(), 1);
    let ((source, day), (class, events)) = planned.files.pop_first().unwrap();
    assert_eq!((source.as_str(), day.as_str(), class), ("auth", "19700101", 3002));
    let bytes = parquet_file(&v, class, &events, FileOptions::default()).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    let batches = read(bytes);
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, 3);
    let b = &batches[0];
    let time = b.column_by_name("time").unwrap();
    let time = time.as_any().downcast_ref::<TimestampMillisecondArray>().unwrap();
    assert_eq!(time.values().to_vec(), vec![1_000, 2_000, 3_000]);
    let activity = b.column_by_name("activity_id").unwrap();
    assert_eq!(activity.as_any().downcast_ref::<Int32Array>().unwrap().value(0), 1);
    let type_uid = b.column_by_name("type_uid").unwrap();
    assert_eq!(type_uid.as_any().downcast_ref::<Int64Array>().unwrap().value(0), 300201);
    let user = b.column_by_name("user").unwrap();
    let user = user.as_any().downcast_ref::<StructArray>().unwrap();
    let names = user.column_by_name("name").unwrap();
    let names = names.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(names.value(0), "alice");
    let unmapped = b.column_by_name("unmapped").unwrap();
    let unmapped = unmapped.as_any().downcast_ref::<StringArray>().unwrap();
    let um: serde_json::Value = serde_json::from_str(unmapped.value(0)).unwrap();
    assert_eq!(um, json!({"LogonProcess": "Kerberos"}));
    let raw = b.column_by_name("raw_data").unwrap();
    assert_eq!(raw.as_any().downcast_ref::<StringArray>().unwrap().value(2), "raw record of carol");

    let omit =
        parquet_file(&v, 3002, &events, FileOptions { omit_raw: true, ..Default::default() });
    assert!(read(omit.unwrap())[0].column_by_name("raw_data").is_none());
}

#[test]
fn values_a_column_cannot_hold_move_to_unmapped() {
    let v = version("1.3.0");
    let mut e = auth("a", 1_000, "alice");
    e.event["src_endpoint"]["port"] = json!(4_294_967_296i64);
    e.event["user"]["not_in_1_3"] = json!("x");
    let batches = read(parquet_file(&v, 3002, &[e], FileOptions::default()).unwrap());
    let b = &batches[0];
    let ep = b.column_by_name("src_endpoint").unwrap();
    let ep = ep.as_any().downcast_ref::<StructArray>().unwrap();
    assert!(ep.column_by_name("port").unwrap().is_null(0));
    let unmapped = b.column_by_name("unmapped").unwrap();
    let unmapped = unmapped.as_any().downcast_ref::<StringArray>().unwrap();
    let um: serde_json::Value = serde_json::from_str(unmapped.value(0)).unwrap();
    assert_eq!(um["ocsf.src_endpoint.port"], 4_294_967_296i64);
    assert_eq!(um["ocsf.user.not_in_1_3"], "x");
    assert_eq!(um["LogonProcess"], "Kerberos");
}

#[test]
fn events_of_unrouted_classes_and_days_are_grouped_apart() {
    let mut late = auth("d", 86_400_000 + 5, "dave");
    late.time_ms = 86_400_000 + 5;
    let mut other = auth("x", 1, "x");
    other.class_uid = 1007;
    let p = plan(&layout(), vec![auth("a", 1, "a"), late, other]);
    assert_eq!(p.unrouted, 1);
    let keys: Vec<_> = p.files.keys().cloned().collect();
    assert_eq!(
        keys,
        vec![
            ("auth".to_string(), "19700101".to_string()),
            ("auth".to_string(), "19700102".to_string())
        ]
    );
}

/// Regression (the lake integration test): ClickHouse's JSON column drops empty objects, so
/// an HTTP Activity event whose required `http_request` was `{}` comes back without it; the
/// file has it again.
#[test]
fn required_objects_lost_in_storage_are_restored() {
    let v = version("1.3.0");
    let e = LakeEvent {
        class_uid: 4002,
        time_ms: 5,
        event: json!({
            "class_uid": 4002, "category_uid": 4, "activity_id": 1, "type_uid": 400201,
            "severity_id": 1, "time": 5,
            "metadata": {"version": "1.3.0", "product": {"name": "p", "vendor_name": "v"}},
            "http_response": {"code": 200}
        }),
        raw: String::new(),
    };
    let batches = read(parquet_file(&v, 4002, &[e], FileOptions::default()).unwrap());
    let req = batches[0].column_by_name("http_request").unwrap();
    assert!(!req.is_null(0), "http_request is required in 1.3.0's HTTP Activity");
}

mod due {
    use std::sync::Mutex;

    use serde_json::{json, Value};

    use super::*;
    use crate::lake::export::{ExportConfig, Exporter, LakeStore};
    use crate::store::review::{Param, Sql};
    use crate::store::StoreError;

    /// A ledger whose last interval is `last` (none when `None`), no events, and the rows
    /// inserted into it.
    struct Ledger {
        last: Option<i64>,
        inserted: Mutex<Vec<Value>>,
    }

    impl Sql for Ledger {
        async fn select(&self, sql: &str, _: &[(&str, Param)]) -> Result<Vec<Value>, StoreError> {
            Ok(if sql.contains("max(interval_start)") {
                vec![json!({"last": self.last.unwrap_or(0), "n": u64::from(self.last.is_some())})]
            } else {
                Vec::new()
            })
        }
        async fn insert_json(&self, _: &str, _: &[&str], rows: &[Value]) -> Result<(), StoreError> {
            self.inserted.lock().unwrap().extend(rows.iter().cloned());
            Ok(())
        }
    }

    struct NoLake;
    impl LakeStore for NoLake {
        async fn put(&self, _: &str, _: Vec<u8>) -> Result<(), StoreError> {
            Ok(())
        }
        async fn delete(&self, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
    }

    fn starts(last: Option<i64>, now: i64) -> Vec<i64> {
        let v = version("1.3.0");
        let cfg = ExportConfig {
            interval_ms: 300_000,
            lag_ms: 180_000,
            max_intervals: 4,
            files: FileOptions::default(),
            events_table: "events".into(),
            ledger_table: "lake_exports".into(),
        };
        let sql = Ledger { last, inserted: Mutex::new(Vec::new()) };
        let l = layout();
        let ex = Exporter { sql: &sql, lake: &NoLake, layout: &l, version: &v, cfg: &cfg };
        let reports = futures_util::FutureExt::now_or_never(ex.run_due(now))
            .expect("no awaiting on fakes")
            .unwrap();
        let recorded = sql.inserted.lock().unwrap().len();
        assert_eq!(recorded, reports.len(), "one ledger row per exported interval");
        reports.iter().map(|r| r.interval_start_ms).collect()
    }

    /// Which intervals a scheduled run exports: the finished ones (3 minutes of lag) after
    /// the ledger's last, oldest first, at most `max_intervals`; with no ledger, the last
    /// finished one only.
    #[test]
    fn a_scheduled_run_exports_the_finished_intervals_after_the_ledger() {
        let m = 60_000;
        // 10:13: intervals end at 10:10 once 3 minutes have passed.
        let now = 10 * 60 * m + 13 * m;
        assert_eq!(starts(None, now), vec![10 * 60 * m + 5 * m]);
        assert_eq!(starts(Some(10 * 60 * m), now), vec![10 * 60 * m + 5 * m]);
        assert!(starts(Some(10 * 60 * m + 5 * m), now).is_empty(), "nothing finished since");
        let backlog = starts(Some(9 * 60 * m), now);
        assert_eq!(backlog.len(), 4, "capped");
        assert_eq!(backlog[0], 9 * 60 * m + 5 * m);
    }
}
