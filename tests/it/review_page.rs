//! The review page in a real browser (Debian's Chromium through chromedriver, over
//! WebDriver): sign in with the local review key, see the shapes the engine is unsure of,
//! correct one with the keyboard, see the correction reach newly ingested records; and
//! markup in raw records, a source name and a correction's note shown as text, never run.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use ocsfmap_tests::poll;
use ocsfmap_tests::stack::{Stack, StackOptions};
use serde_json::{json, Value};

use crate::review::{count, post_records, records, wait_rows};

const HOSTILE_SOURCE: &str = "<img src=x onerror=\"window.__pwned=1\">";
const HOSTILE_NOTE: &str =
    "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=1\">";

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: tokio::process::Child,
    url: String,
}

impl Driver {
    async fn start() -> Result<Driver> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let binary = ["chromedriver", "/usr/bin/chromedriver"]
            .into_iter()
            .find(|b| std::process::Command::new(b).arg("--version").output().is_ok())
            .context(
                "chromedriver is not installed (scripts/test installs Debian's chromium-driver)",
            )?;
        let child = tokio::process::Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let url = format!("http://127.0.0.1:{port}");
        let addr = format!("127.0.0.1:{port}");
        poll::until(Duration::from_secs(30), Duration::from_millis(200), || async {
            tokio::net::TcpStream::connect(&addr).await.ok().map(|_| ())
        })
        .await
        .context("chromedriver did not start")?;
        Ok(Driver { child, url })
    }

    async fn browser(&self) -> Result<Client> {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"]}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        Ok(ClientBuilder::new(connector).capabilities(caps).connect(&self.url).await?)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Real key presses (WebDriver actions) to whatever has the focus.
async fn press(c: &Client, keys: &str) -> Result<()> {
    let mut seq = KeyActions::new("keyboard".into());
    for k in keys.chars() {
        seq = seq.then(KeyAction::Down { value: k }).then(KeyAction::Up { value: k });
    }
    c.perform_actions(seq).await?;
    Ok(())
}

const ENTER: &str = "\u{E007}";

async fn wait_js(c: &Client, what: &str, script: &str, within: Duration) -> Result<Value> {
    let started = Instant::now();
    loop {
        let v = c.execute(script, vec![]).await?;
        if !(v.is_null() || v == false || v == "") {
            return Ok(v);
        }
        if started.elapsed() > within {
            bail!("waited {within:?} for {what}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn pwned(c: &Client) -> Result<bool> {
    Ok(c.execute("return window.__pwned !== undefined", vec![]).await? == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_corrects_a_shape_with_the_keyboard_and_shows_markup_as_text() -> Result<()> {
    with_page("it-page", false, run).await
}

/// Chromium and a local stack (the review key, or the local OIDC issuer), `run` between
/// them; on failure a screenshot and the review function's log, then everything stopped.
async fn with_page(
    prefix: &str,
    oidc: bool,
    run: impl AsyncFnOnce(&Stack, &Client) -> Result<()>,
) -> Result<()> {
    let driver = Driver::start().await?;
    let mut opts = StackOptions::for_tests(prefix);
    opts.env.push(("CONFIDENCE_THRESHOLD".into(), "0.995".into()));
    opts.oidc = oidc;
    let stack = Stack::start(opts).await?;
    let browser = driver.browser().await?;
    let result = run(&stack, &browser).await;
    if result.is_err() {
        if let Ok(png) = browser.screenshot().await {
            let path = std::env::temp_dir().join(format!("ocsfmap-{prefix}-failure.png"));
            let _ = std::fs::write(&path, png);
            eprintln!("screenshot: {}", path.display());
        }
        eprintln!("review log:\n{}", stack.review.log_tail());
    }
    let _ = browser.close().await;
    stack.destroy().await;
    result
}

async fn run(stack: &Stack, c: &Client) -> Result<()> {
    post_records(stack, &records()).await?;
    wait_rows(stack, 10).await?;
    let db = ocsfmap_tests::clickhouse::client().await?.with_database(&stack.database);
    // A source name ingest would refuse, written straight into the store (as another
    // writer could): the page must still show it as text.
    db.query(&format!(
        "INSERT INTO events SELECT generateUUIDv7(), received_at, event_time, classified_at, '{}', format, class_uid, class_name, category_uid, activity_id, type_uid, confidence, needs_review, decided_by, candidates, signature + 1, kb_version, raw, ocsf_event FROM events WHERE raw LIKE '%qx_memo%' LIMIT 1",
        HOSTILE_SOURCE.replace('\'', "\\'")
    ))
    .execute()
    .await?;
    // A correction whose note carries markup, on the hostile-source shape.
    let (_, q) = stack.review_request("GET", "/v1/review?limit=100", None).await?;
    let items = q["items"].as_array().context("items")?.clone();
    let hostile = items
        .iter()
        .find(|i| i["source"] == HOSTILE_SOURCE)
        .context("the hostile source's shape")?;
    let (_, classes) = stack.review_request("GET", "/v1/classes", None).await?;
    let some_class = classes["classes"][0]["class_uid"].clone();
    let (status, resp) = stack
        .review_request("POST", "/v1/corrections", Some(&json!({"signature": hostile["signature"], "class_uid": some_class, "note": HOSTILE_NOTE})))
        .await?;
    ensure!(status == 201, "{resp}");

    // Sign in with the review key.
    c.goto(&stack.review_url()).await?;
    wait_js(
        c,
        "the sign-in form",
        "return document.body.dataset.state === 'signin'",
        Duration::from_secs(20),
    )
    .await?;
    c.find(Locator::Id("review-key")).await?.send_keys(&stack.review_key).await?;
    c.find(Locator::Id("signin-button")).await?.click().await?;
    wait_js(c, "the queue", "return document.body.dataset.state === 'ready' && document.querySelectorAll('.queue-item').length >= 3", Duration::from_secs(30)).await?;
    let counts: Value = c.execute("return [...document.querySelectorAll('.queue-item')].map(e => e.dataset.source + '|' + e.querySelector('.count').textContent)", vec![]).await?;
    ensure!(counts.to_string().contains("acme-widget|5"), "the biggest shape is listed: {counts}");

    // Markup in raw records, a source name and a note is text.
    c.execute("document.getElementById('filter-include-corrected').click()", vec![]).await?;
    wait_js(c, "the corrected shape", &format!("return [...document.querySelectorAll('.queue-item')].some(e => e.dataset.source === {})", json!(HOSTILE_SOURCE)), Duration::from_secs(20)).await?;
    c.execute(&format!("[...document.querySelectorAll('.queue-item')].find(e => e.dataset.source === {}).click()", json!(HOSTILE_SOURCE)), vec![]).await?;
    wait_js(c, "its detail", "return document.getElementById('raw').textContent.includes('<script>window.__pwned=1</script>')", Duration::from_secs(20)).await?;
    wait_js(
        c,
        "the note as text",
        &format!(
            "return document.getElementById('correction-state').textContent.includes({})",
            json!(HOSTILE_NOTE)
        ),
        Duration::from_secs(20),
    )
    .await?;
    let source_text = c.find(Locator::Id("d-source")).await?.text().await?;
    ensure!(source_text.contains(HOSTILE_SOURCE), "source shown as text: {source_text:?}");
    let injected: Value = c
        .execute(
            "return document.querySelectorAll('#app script, #app img, #detail b').length",
            vec![],
        )
        .await?;
    ensure!(injected == 0, "markup from a record became elements: {injected}");
    ensure!(!pwned(c).await?, "a script from a record ran");

    // Correct the biggest shape with the keyboard: select it, open the picker, search, Enter.
    c.execute("document.getElementById('filter-include-corrected').click()", vec![]).await?;
    wait_js(c, "the queue without corrected shapes", &format!("return document.body.dataset.state === 'ready' && ![...document.querySelectorAll('.queue-item')].some(e => e.dataset.source === {})", json!(HOSTILE_SOURCE)), Duration::from_secs(20)).await?;
    c.execute("document.activeElement && document.activeElement.blur()", vec![]).await?;
    let first: Value =
        c.execute("return document.querySelector('.queue-item').dataset.signature", vec![]).await?;
    let sig = first.as_str().context("signature")?.to_string();
    let (_, detail) = stack.review_request("GET", &format!("/v1/review/{sig}"), None).await?;
    ensure!(detail["count"] == 5, "the first item is the 5-record shape: {detail}");
    let decided = detail["decision"]["class_uid"].as_u64().context("decision")?;
    let target = classes["classes"]
        .as_array()
        .context("classes")?
        .iter()
        .find(|k| {
            k["class_uid"].as_u64() != Some(decided)
                && k["name"].as_str().is_some_and(|n| n.len() > 6)
        })
        .context("another class")?
        .clone();
    let name = target["name"].as_str().context("name")?;
    // `j` then `k`: the first item, whether the page had selected it already or nothing.
    press(c, "jk").await?;
    wait_js(
        c,
        "the selection",
        &format!(
            "return document.querySelector('.queue-item.selected')?.dataset.signature === {}",
            json!(sig)
        ),
        Duration::from_secs(10),
    )
    .await?;
    press(c, "e").await?;
    wait_js(c, "the picker", "return !document.getElementById('picker').hidden && document.activeElement === document.getElementById('picker-search')", Duration::from_secs(10)).await?;
    press(c, name).await?;
    wait_js(c, "the picker's match", &format!("return document.querySelector('.picker-option.highlighted')?.dataset.classUid === '{}'", target["class_uid"]), Duration::from_secs(10)).await?;
    let corrected_at = Instant::now();
    press(c, ENTER).await?;
    wait_js(
        c,
        "the correction posted",
        "return document.body.dataset.lastAction === 'posted'",
        Duration::from_secs(20),
    )
    .await?;
    ensure!(!pwned(c).await?, "a script ran");

    // The correction reaches the KB, and new records of the shape are classified with it.
    let class_uid = target["class_uid"].as_u64().context("uid")?;
    let first_corrected = poll::until(Duration::from_secs(600), Duration::from_secs(2), || async {
        let line = records().into_iter().next()?;
        let _ = stack.post(&[("content-type", "application/x-ndjson"), ("x-ocsfmap-source", "acme-widget")], line.as_bytes()).await;
        let sql = format!("SELECT count() AS n FROM events WHERE leftPad(lower(hex(signature)), 16, '0') = '{sig}' AND class_uid = {class_uid} AND decided_by = 'override'");
        let n = count(stack, &sql).await.ok()?;
        (n > 0).then(|| corrected_at.elapsed())
    })
    .await
    .with_context(|| format!("no record classified as corrected; kb-rebuild log:\n{}", stack.kb_rebuild.log_tail()))?;
    // Not a timed assertion: the figure for BENCHMARKS.md (local stack, test profile).
    eprintln!("correction to first corrected record: {:.1} s", first_corrected.as_secs_f64());

    // The page shows it: the shape's detail now decides the corrected class.
    c.execute("document.getElementById('filter-include-corrected').click()", vec![]).await?;
    wait_js(c, "the corrected shape listed", &format!("return [...document.querySelectorAll('.queue-item')].some(e => e.dataset.signature === {})", json!(sig)), Duration::from_secs(20)).await?;
    c.execute(&format!("[...document.querySelectorAll('.queue-item')].find(e => e.dataset.signature === {}).click()", json!(sig)), vec![]).await?;
    wait_js(
        c,
        "the corrected class in the detail",
        &format!(
            "return document.getElementById('decision').textContent.includes({})",
            json!(name)
        ),
        Duration::from_secs(30),
    )
    .await?;
    ensure!(!pwned(c).await?, "a script ran");
    // `OCSFMAP_REVIEW_SCREENSHOT=docs/review-page.png` keeps a picture of the page (README).
    if let Some(path) = std::env::var_os("OCSFMAP_REVIEW_SCREENSHOT") {
        c.execute("document.getElementById('filter-include-corrected').click()", vec![]).await?;
        let listed = "return document.body.dataset.state === 'ready' && document.querySelectorAll('.queue-item').length >= 2";
        wait_js(c, "the queue", listed, Duration::from_secs(20)).await?;
        c.execute("document.querySelectorAll('.queue-item')[0].click()", vec![]).await?;
        let shown = "return document.getElementById('raw').textContent.length > 0";
        wait_js(c, "the detail", shown, Duration::from_secs(20)).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        std::fs::write(&path, c.screenshot().await?)?;
    }
    Ok(())
}

/// The deployed sign-in: the authorization-code flow with PKCE against an OIDC issuer (a
/// local one here), the token checked by the gateway's authorizer, the group by `review`,
/// and `who` taken from the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_signs_in_with_oidc_and_pkce_and_the_group_is_required() -> Result<()> {
    with_page("it-oidc", true, run_oidc).await
}

async fn run_oidc(stack: &Stack, c: &Client) -> Result<()> {
    let issuer = stack.issuer.clone().context("the stack's OIDC issuer")?;
    post_records(stack, &records()).await?;
    wait_rows(stack, 10).await?;

    // An analyst of the reviewers' group signs in; the token endpoint checks the verifier.
    issuer.sign_in_as(json!({"sub": "u-1", "email": "analyst@example.com", "cognito:groups": format!("[{}]", ocsfmap_tests::oidc::REVIEWERS)}));
    c.goto(&stack.review_url()).await?;
    wait_js(
        c,
        "the sign-in page",
        "return document.body.dataset.state === 'signin'",
        Duration::from_secs(20),
    )
    .await?;
    c.find(Locator::Id("signin-button")).await?.click().await?;
    wait_js(c, "the queue after the redirect and the code exchange", "return document.body.dataset.state === 'ready' && document.querySelectorAll('.queue-item').length >= 3", Duration::from_secs(30)).await?;
    let url = c.current_url().await?;
    ensure!(
        url.query().is_none_or(|q| !q.contains("code=")),
        "the code stays in the address bar: {url}"
    );
    // Without a token the API is closed (the gateway's authorizer).
    let (status, _) = stack.review_request("GET", "/v1/review", None).await?;
    ensure!(status == 401, "a request without a token got {status}");

    // A correction records who made it, from the token.
    c.execute("document.activeElement && document.activeElement.blur()", vec![]).await?;
    press(c, "jk").await?;
    wait_js(
        c,
        "a selection",
        "return !!document.querySelector('.queue-item.selected')",
        Duration::from_secs(10),
    )
    .await?;
    press(c, "c").await?;
    wait_js(
        c,
        "the confirmation posted",
        "return document.body.dataset.lastAction === 'posted'",
        Duration::from_secs(20),
    )
    .await?;
    let who = count(stack, "SELECT count() AS n FROM overrides WHERE who = 'analyst@example.com'")
        .await?;
    ensure!(who == 1, "{who} corrections by the token's user");

    // A user outside the group signs in fine at the issuer but may not review.
    c.find(Locator::Id("signout")).await?.click().await?;
    wait_js(
        c,
        "signed out",
        "return document.body.dataset.state === 'signin'",
        Duration::from_secs(20),
    )
    .await?;
    issuer.sign_in_as(
        json!({"sub": "u-2", "email": "intern@example.com", "cognito:groups": "[interns]"}),
    );
    c.find(Locator::Id("signin-button")).await?.click().await?;
    wait_js(c, "the refusal", "return !document.getElementById('error').hidden && /group or scope/.test(document.getElementById('error-text').textContent)", Duration::from_secs(30)).await?;
    let before = count(stack, "SELECT count() AS n FROM overrides").await?;
    ensure!(before == 1, "the refused user wrote something");
    Ok(())
}
