//! The analysts' loop through the real binaries: records the engine is unsure of → the
//! review queue (`review` behind the gateway, ClickHouse) → a correction by shape → one
//! override row with who made it → a rebuild requested through the queue → the next records
//! of that shape classified as corrected; a burst of corrections is one rebuild; every bad
//! input is a 4xx that changes nothing.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use ocsfmap_tests::poll;
use ocsfmap_tests::stack::{Stack, StackOptions};
use serde_json::{json, Value};

/// Three shapes of a product nobody described, in different amounts (5, 3, 2 records), all
/// below the review threshold with the shipped knowledge; the smallest carries markup (the
/// page test shows it must stay text).
pub fn records() -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..5 {
        out.push(
            json!({"zz_op": "wobble", "zz_unit": format!("u{i}"), "zz_tag": "blue"}).to_string(),
        );
    }
    for i in 0..3 {
        out.push(json!({"kk_thing": "spin", "kk_ref": i}).to_string());
    }
    for i in 0..2 {
        out.push(
            json!({"qx_kind": "flux-rotate", "qx_node": format!("n{i}"), "qx_lvl": i,
            "qx_memo": "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=1\">"})
            .to_string(),
        );
    }
    out
}

pub(crate) async fn post_records(stack: &Stack, lines: &[String]) -> Result<()> {
    let (status, resp) = stack
        .post(
            &[("content-type", "application/x-ndjson"), ("x-ocsfmap-source", "acme-widget")],
            lines.join("\n").as_bytes(),
        )
        .await?;
    ensure!(status == 202, "ingest answered {status}: {resp}");
    Ok(())
}

pub(crate) async fn count(stack: &Stack, sql: &str) -> Result<u64> {
    #[derive(clickhouse::Row, serde::Deserialize)]
    struct N {
        n: u64,
    }
    let client = ocsfmap_tests::clickhouse::client().await?.with_database(&stack.database);
    Ok(client.query(sql).fetch_one::<N>().await?.n)
}

pub(crate) async fn wait_rows(stack: &Stack, want: u64) -> Result<()> {
    poll::until(Duration::from_secs(120), Duration::from_millis(500), || async {
        let n = count(stack, "SELECT count() AS n FROM events").await.ok()?;
        (n >= want).then_some(())
    })
    .await
    .with_context(|| {
        format!("{want} rows never arrived; classify log:\n{}", stack.classify.log_tail())
    })
}

fn field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_correction_rebuild_and_bad_inputs() -> Result<()> {
    let mut opts = StackOptions::for_tests("it-review");
    // Everything short of near-certainty goes to review, so the test's shapes are in the
    // queue whatever the shipped knowledge makes of them.
    opts.env.push(("CONFIDENCE_THRESHOLD".into(), "0.995".into()));
    let stack = Stack::start(opts).await?;
    let result = run(&stack).await;
    if result.is_err() {
        eprintln!(
            "review log:\n{}\nkb-rebuild log:\n{}",
            stack.review.log_tail(),
            stack.kb_rebuild.log_tail()
        );
    }
    stack.destroy().await;
    result
}

async fn run(stack: &Stack) -> Result<()> {
    post_records(stack, &records()).await?;
    wait_rows(stack, 10).await?;

    // The queue: shapes ordered by record count, paged with a signed cursor.
    let (status, page1) = stack.review_request("GET", "/v1/review?limit=1", None).await?;
    ensure!(status == 200, "{page1}");
    let items = page1["items"].as_array().context("items")?;
    ensure!(items.len() == 1, "{page1}");
    let top = &items[0];
    ensure!(top["count"] == 5 && top["source"] == "acme-widget", "the biggest shape first: {top}");
    ensure!(top["samples"].as_array().is_some_and(|s| s.len() == 3), "three samples: {top}");
    ensure!(top["signature"].as_str().is_some_and(|s| s.len() == 16), "hex signature: {top}");
    let cursor = page1["next_cursor"].as_str().context("a next page")?.to_string();
    let (status, page2) =
        stack.review_request("GET", &format!("/v1/review?limit=1&cursor={cursor}"), None).await?;
    ensure!(status == 200 && page2["items"][0]["count"] == 3, "{page2}");
    let mut tampered = cursor.clone().into_bytes();
    tampered[2] = if tampered[2] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered)?;
    let (status, body) =
        stack.review_request("GET", &format!("/v1/review?limit=1&cursor={tampered}"), None).await?;
    ensure!(status == 400 && field(&body) == "cursor", "tampered cursor: {status} {body}");
    let (status, body) =
        stack.review_request("GET", &format!("/v1/review?limit=2&cursor={cursor}"), None).await?;
    ensure!(status == 400 && field(&body) == "cursor", "cursor under other filters: {body}");

    // Pick a class other than the engine's, from the KB's own schema.
    let (status, classes) = stack.review_request("GET", "/v1/classes", None).await?;
    ensure!(status == 200, "{classes}");
    let decided = top["decision"]["class_uid"].as_u64().context("decision")?;
    let target = classes["classes"]
        .as_array()
        .context("classes")?
        .iter()
        .find(|c| {
            c["class_uid"].as_u64() != Some(decided)
                && c["activities"].as_array().is_some_and(|a| !a.is_empty())
        })
        .context("another class")?;
    let class_uid = target["class_uid"].as_u64().context("uid")?;
    let activity_id = target["activities"][0]["id"].as_i64().context("activity")?;
    let sig_a = top["signature"].as_str().context("sig")?.to_string();

    // Bad inputs: a clear 4xx naming the field, and nothing written.
    let overrides = || count(stack, "SELECT count() AS n FROM overrides");
    let before = overrides().await?;
    let bad: Vec<(Value, u16, &str)> = vec![
        (json!({"signature": sig_a, "class_uid": 999_999}), 400, "class_uid"),
        (
            json!({"signature": sig_a, "class_uid": class_uid, "activity_id": 31_337}),
            400,
            "activity_id",
        ),
        (json!({"signature": "0123456789abcdef", "class_uid": class_uid}), 404, "signature"),
        (json!({"signature": "not-hex", "class_uid": class_uid}), 400, "signature"),
        (
            json!({"event_id": "00000000-0000-7000-8000-000000000000", "class_uid": class_uid}),
            404,
            "event_id",
        ),
        (json!({"class_uid": class_uid}), 400, "body"),
        (json!({"signature": sig_a, "class_uid": class_uid, "note": "n".repeat(70_000)}), 413, ""),
    ];
    for (body, want, want_field) in &bad {
        let (status, resp) = stack.review_request("POST", "/v1/corrections", Some(body)).await?;
        ensure!(status == *want && field(&resp) == *want_field, "{body:.120} → {status} {resp}");
    }
    let resp = ocsfmap_tests::http1::request_with_headers(
        &stack.http_addr.to_string(),
        "POST",
        "/v1/corrections",
        &[
            ("authorization", &format!("Bearer {}", stack.review_key)),
            ("content-type", "application/json"),
        ],
        b"{not json",
        Duration::from_secs(30),
    )
    .await?;
    ensure!(resp.status == 400, "malformed JSON: {}", resp.status);
    // The two credentials open disjoint routes.
    let wrong_key = ocsfmap_tests::http1::request_with_headers(
        &stack.http_addr.to_string(),
        "GET",
        "/v1/review",
        &[("x-api-key", &stack.api_key)],
        b"",
        Duration::from_secs(30),
    )
    .await?;
    ensure!(
        [401, 403].contains(&wrong_key.status),
        "the ingest key opened the review API: {}",
        wrong_key.status
    );
    let review_on_ingest = ocsfmap_tests::http1::request_with_headers(
        &stack.http_addr.to_string(),
        "POST",
        "/v1/logs",
        &[
            ("authorization", &format!("Bearer {}", stack.review_key)),
            ("content-type", "application/json"),
        ],
        b"{\"a\":1}",
        Duration::from_secs(30),
    )
    .await?;
    ensure!(
        [401, 403].contains(&review_on_ingest.status),
        "the review key posted logs: {}",
        review_on_ingest.status
    );
    let (status, _) =
        stack.review_request("DELETE", "/v1/corrections/00000000000000aa", None).await?;
    ensure!(status == 404, "withdrawing nothing: {status}");
    ensure!(overrides().await? == before, "a refused request wrote an override");

    // A correction: one row, with who made it; the answer says how many records it covers.
    let rebuilds_before = stack.stats.requested_rebuilds.load(std::sync::atomic::Ordering::Relaxed);
    let body = json!({"signature": sig_a, "class_uid": class_uid, "activity_id": activity_id, "note": "<b>not bold</b>"});
    let (status, resp) = stack.review_request("POST", "/v1/corrections", Some(&body)).await?;
    ensure!(status == 201, "{resp}");
    ensure!(
        resp["corrections"][0]["records_in_window"] == 5 && resp["rebuild"] == "requested",
        "{resp}"
    );
    ensure!(overrides().await? == before + 1, "one override row");
    let who = count(stack, &format!("SELECT count() AS n FROM overrides WHERE who = 'review-key' AND leftPad(lower(hex(signature)), 16, '0') = '{sig_a}' AND raw != ''")).await?;
    ensure!(who == 1, "the row names the analyst and keeps a raw record");

    // The rebuild it requested publishes, and the queue shows the correction in the KB.
    poll::until(Duration::from_secs(600), Duration::from_secs(1), || async {
        let (_, q) =
            stack.review_request("GET", "/v1/review?include_corrected=true", None).await.ok()?;
        let item =
            q["items"].as_array()?.iter().find(|i| i["signature"] == sig_a.as_str())?.clone();
        (item["correction"]["state"]["status"] == "in_kb").then_some(())
    })
    .await
    .with_context(|| {
        format!(
            "the correction never reached the KB; kb-rebuild log:\n{}",
            stack.kb_rebuild.log_tail()
        )
    })?;
    let (_, default_queue) = stack.review_request("GET", "/v1/review", None).await?;
    ensure!(
        !default_queue["items"]
            .as_array()
            .context("items")?
            .iter()
            .any(|i| i["signature"] == sig_a.as_str()),
        "a corrected shape left the default queue"
    );

    // New records of that shape are classified as corrected.
    let again: Vec<String> = records().into_iter().take(2).collect();
    post_records(stack, &again).await?;
    wait_rows(stack, 12).await?;
    let corrected = count(stack, &format!("SELECT count() AS n FROM events WHERE leftPad(lower(hex(signature)), 16, '0') = '{sig_a}' AND class_uid = {class_uid} AND decided_by = 'override'")).await?;
    ensure!(corrected == 2, "{corrected} of 2 new records were classified as corrected");

    // A burst of corrections inside the batching window is one rebuild.
    let after_first = stack.stats.requested_rebuilds.load(std::sync::atomic::Ordering::Relaxed);
    ensure!(after_first == rebuilds_before + 1, "one correction, one rebuild ({after_first})");
    let sig_b = page2["items"][0]["signature"].as_str().context("sig b")?.to_string();
    for sig in [&sig_b, &sig_a, &sig_b] {
        let body = json!({"signatures": [sig], "class_uid": class_uid, "activity_id": null});
        let (status, resp) = stack.review_request("POST", "/v1/corrections", Some(&body)).await?;
        ensure!(status == 201, "{resp}");
    }
    poll::until(Duration::from_secs(600), Duration::from_secs(1), || async {
        let n = stack.stats.requested_rebuilds.load(std::sync::atomic::Ordering::Relaxed);
        (n > after_first
            && stack
                .sqs
                .get_queue_attributes()
                .queue_url(&stack.rebuild_requests.url)
                .attribute_names(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages,
                )
                .send()
                .await
                .ok()?
                .attributes()?
                .get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)?
                == "0")
            .then_some(())
    })
    .await
    .context("the burst's rebuild never ran")?;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after_burst = stack.stats.requested_rebuilds.load(std::sync::atomic::Ordering::Relaxed);
    ensure!(
        after_burst == after_first + 1,
        "three corrections made {} rebuilds",
        after_burst - after_first
    );

    // Withdrawal, the dashboard and the page.
    let (status, resp) =
        stack.review_request("DELETE", &format!("/v1/corrections/{sig_b}"), None).await?;
    ensure!(status == 200 && resp["withdrawn"] == true, "{resp}");
    let (status, stats) = stack.review_request("GET", "/v1/stats", None).await?;
    ensure!(status == 200 && stats["records_24h"].as_u64() >= Some(12), "{stats}");
    ensure!(stats["hours"].as_array().is_some_and(|h| h.len() == 24), "{stats}");
    ensure!(stats["corrections"]["active"] == 1, "A active, B withdrawn: {stats}");
    let page = ocsfmap_tests::http1::request_with_headers(
        &stack.http_addr.to_string(),
        "GET",
        "/review",
        &[],
        b"",
        Duration::from_secs(30),
    )
    .await?;
    ensure!(page.status == 200, "page: {}", page.status);
    let csp = page.header("content-security-policy").context("a CSP")?;
    ensure!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{csp}");
    Ok(())
}
