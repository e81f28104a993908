//! Request handling: route, authenticate, validate, then read or write through the ports.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::auth::{Principal, ReviewAuth};
use super::cursor::CursorKey;
use super::request::{self, Correction, Target};
use super::{page, state, KbSource, RebuildRequests, ReviewError};
use crate::event::EventContext;
use crate::ingest::{HttpRequest, HttpResponse};
use crate::parse;
use crate::pipeline::kb_holder::ActiveKb;
use crate::routes::{self, Auth, RouteError};
use crate::signature::Signature;
use crate::store::review::{
    self as sql, After, BuildRow, CorrectionRow, Param, QueueQuery, SampleRow, ShapeExtent,
    ShapeRow, Sql,
};
use crate::store::Tables;

/// Records shown per shape.
const SAMPLES: u64 = 3;

/// How the page signs in, and the one origin allowed to call the API from a browser.
#[derive(Debug, Clone, Default)]
pub struct PageSettings {
    /// `{"auth":"oidc", ...}` or `{"auth":"key"}`, served at `/v1/review/config`.
    pub sign_in: Value,
    /// Origin of the OIDC token endpoint (the page's CSP lets it connect there).
    pub token_origin: Option<String>,
    /// CORS: the page's origin when it is served from elsewhere than the API.
    pub allowed_origin: Option<String>,
}

pub struct ReviewService<S, K, N> {
    pub sql: S,
    pub tables: Tables,
    pub kb: K,
    pub rebuild: N,
    pub auth: ReviewAuth,
    pub cursor: CursorKey,
    pub page: PageSettings,
}

pub fn json_response(status: u16, body: &Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("cache-control".into(), "no-store".into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ],
        body: body.to_string(),
    }
}

fn not_found(field: &str, message: impl Into<String>) -> ReviewError {
    ReviewError::NotFound { field: Some(field.into()), message: message.into() }
}

fn param<'a>(route: &routes::Route, path: &'a str, name: &str) -> Option<&'a str> {
    routes::params(route, path).into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

impl<S: Sql, K: KbSource, N: RebuildRequests> ReviewService<S, K, N> {
    /// One request → one response; never panics on input, never echoes a credential.
    pub async fn handle(&self, req: &HttpRequest, now_ms: i64) -> HttpResponse {
        let mut resp = match self.dispatch(req, now_ms).await {
            Ok(r) => r,
            Err(e) => {
                match e.status() {
                    500.. => {
                        tracing::error!(error = %e, request_id = %req.request_id, "review request failed")
                    }
                    _ => {
                        tracing::info!(code = e.code(), error = %e, request_id = %req.request_id, "review request refused")
                    }
                }
                e.into_response()
            }
        };
        self.cors(req, &mut resp);
        resp
    }

    fn cors(&self, req: &HttpRequest, resp: &mut HttpResponse) {
        let Some(allowed) = &self.page.allowed_origin else { return };
        if req.header("origin") == Some(allowed.as_str()) {
            resp.headers.push(("access-control-allow-origin".into(), allowed.clone()));
            resp.headers.push(("vary".into(), "origin".into()));
        }
    }

    async fn dispatch(&self, req: &HttpRequest, now_ms: i64) -> Result<HttpResponse, ReviewError> {
        let route = match routes::resolve(&req.method, &req.path) {
            Ok(r) if r.function == "review" => r,
            Ok(_) | Err(RouteError::NotFound) => {
                return Err(ReviewError::NotFound { field: None, message: "no such route".into() })
            }
            Err(RouteError::MethodNotAllowed { allowed }) => {
                return Err(ReviewError::MethodNotAllowed { allowed: allowed.join(", ") })
            }
        };
        let principal = match route.auth {
            Auth::Public => None,
            Auth::ReviewCredential => Some(self.auth.check(req)?),
            // The ingest key never opens a review route.
            Auth::IngestKey => return Err(ReviewError::Forbidden("not a review route".into())),
        };
        let token_origin = self.page.token_origin.as_deref();
        match (req.method.to_ascii_uppercase().as_str(), route.path.as_str()) {
            ("GET", "/review") => Ok(page::asset(None, token_origin).expect("the page exists")),
            ("GET", "/review/{asset}") => {
                page::asset(param(route, &req.path, "asset"), token_origin).ok_or_else(|| {
                    ReviewError::NotFound { field: None, message: "no such asset".into() }
                })
            }
            ("GET", "/v1/review/config") => Ok(json_response(200, &self.page.sign_in)),
            ("GET", "/v1/review") => self.queue(req).await,
            ("GET", "/v1/review/{signature}") => {
                let sig = request::signature(
                    "signature",
                    param(route, &req.path, "signature").unwrap_or(""),
                )?;
                self.detail(req, sig, now_ms).await
            }
            ("POST", "/v1/corrections") => {
                let who = principal.expect("review routes are authenticated");
                self.correct(req, &who, now_ms).await
            }
            ("DELETE", "/v1/corrections/{signature}") => {
                let sig = request::signature(
                    "signature",
                    param(route, &req.path, "signature").unwrap_or(""),
                )?;
                let who = principal.expect("review routes are authenticated");
                self.withdraw(sig, &who, now_ms).await
            }
            ("GET", "/v1/stats") => self.stats(now_ms).await,
            ("GET", "/v1/classes") => self.classes().await,
            _ => Err(ReviewError::NotFound { field: None, message: "no such route".into() }),
        }
    }

    async fn kb(&self) -> Result<Arc<ActiveKb>, ReviewError> {
        self.kb
            .current()
            .await
            .map_err(|e| ReviewError::Unavailable(format!("knowledge base: {e}")))
    }

    // --- the queue --------------------------------------------------------------------

    async fn queue(&self, req: &HttpRequest) -> Result<HttpResponse, ReviewError> {
        let (mut q, filters) = request::queue_query(req)?;
        if let Some(c) = req.query_param("cursor").filter(|c| !c.is_empty()) {
            q.after = Some(self.cursor.verify(c, &filters).map_err(|e| ReviewError::BadInput {
                field: "cursor".into(),
                message: e.to_string(),
            })?);
        }
        let page = q.limit as usize - 1;
        let mut shapes: Vec<ShapeRow> = self.shapes(&q).await?;
        let next_cursor = if shapes.len() > page {
            shapes.truncate(page);
            shapes.last().map(|s| {
                let after =
                    After { count: s.count, signature: s.signature, source: s.source.clone() };
                self.cursor.sign(&after, &filters)
            })
        } else {
            None
        };
        let kb = self.kb.current().await.ok();
        let items = self.items(&shapes, q.days, false, kb.as_deref()).await?;
        Ok(json_response(
            200,
            &json!({
                "window": {"days": q.days},
                "kb_version": kb.as_ref().map(|k| k.version().to_string()),
                "items": items,
                "next_cursor": next_cursor,
            }),
        ))
    }

    async fn shapes(&self, q: &QueueQuery) -> Result<Vec<ShapeRow>, ReviewError> {
        let rows = self.sql.select(&sql::queue_sql(&self.tables)?, &sql::queue_params(q)).await?;
        Ok(sql::decode("queue", rows)?)
    }

    async fn detail(
        &self,
        req: &HttpRequest,
        sig: Signature,
        _now_ms: i64,
    ) -> Result<HttpResponse, ReviewError> {
        let (mut q, _) = request::queue_query(req)?;
        q.signature = Some(sig);
        q.include_corrected = true;
        q.only_review = false;
        q.limit = 50;
        let shapes = self.shapes(&q).await?;
        let want = q.source.clone();
        let shape = shapes
            .into_iter()
            .find(|s| want.as_ref().is_none_or(|w| &s.source == w))
            .ok_or_else(|| {
                not_found(
                    "signature",
                    format!("no record of shape {sig} in the last {} days", q.days),
                )
            })?;
        let kb = self.kb.current().await.ok();
        let mut items =
            self.items(std::slice::from_ref(&shape), q.days, true, kb.as_deref()).await?;
        Ok(json_response(200, &items.pop().unwrap_or(Value::Null)))
    }

    /// Queue items for `shapes`: samples, the current KB's decision, the correction.
    async fn items(
        &self,
        shapes: &[ShapeRow],
        days: u32,
        detail: bool,
        kb: Option<&ActiveKb>,
    ) -> Result<Vec<Value>, ReviewError> {
        if shapes.is_empty() {
            return Ok(Vec::new());
        }
        let sigs: Vec<u64> = shapes.iter().map(|s| s.signature.0).collect();
        let sample_rows: Vec<SampleRow> = sql::decode(
            "samples",
            self.sql
                .select(
                    &sql::samples_sql(&self.tables, detail)?,
                    &[
                        ("days", Param::U64(days.into())),
                        ("sigs", Param::U64s(sigs.clone())),
                        ("per", Param::U64(SAMPLES)),
                    ],
                )
                .await?,
        )?;
        let mut samples: HashMap<(Signature, &str), Vec<&SampleRow>> = HashMap::new();
        for s in &sample_rows {
            samples.entry((s.signature, s.source.as_str())).or_default().push(s);
        }
        let corrections = self.corrections(&sigs).await?;
        let builds = self.builds().await?;
        let schema = kb.map(|k| &k.classifier.kb().body.schema);
        Ok(shapes
            .iter()
            .map(|s| {
                let mine = samples.get(&(s.signature, s.source.as_str())).cloned().unwrap_or_default();
                let now = kb.zip(mine.first()).map(|(kb, first)| now_decision(kb, first, detail));
                let class_name = |uid: u32| {
                    schema.and_then(|sc| sc.class(uid)).map(|c| c.caption.clone()).unwrap_or_default()
                };
                let correction = corrections.get(&s.signature).map(|c| correction_json(c, &builds, &class_name(c.class_uid)));
                json!({
                    "signature": s.signature,
                    "source": s.source,
                    "format": s.format,
                    "count": s.count,
                    "first_seen": s.first_seen,
                    "last_seen": s.last_seen,
                    "decision": {
                        "class_uid": s.class_uid, "class_name": s.class_name, "activity_id": s.activity_id,
                        "confidence": s.confidence, "decided_by": s.decided_by, "kb_version": s.kb_version,
                    },
                    "candidates": s.candidates.iter().map(|(uid, p)| json!({
                        "class_uid": uid, "class_name": class_name(*uid), "probability": p,
                    })).collect::<Vec<_>>(),
                    "now": now,
                    "samples": mine.iter().map(|r| {
                        let mut v = json!({"event_id": r.event_id, "received_at": r.received_at, "raw": r.raw});
                        if detail {
                            v["ocsf_event"] = serde_json::from_str(&r.ocsf_event).unwrap_or(Value::Null);
                        }
                        v
                    }).collect::<Vec<_>>(),
                    "correction": correction,
                })
            })
            .collect())
    }

    async fn corrections(
        &self,
        sigs: &[u64],
    ) -> Result<HashMap<Signature, CorrectionRow>, ReviewError> {
        let rows = self
            .sql
            .select(&sql::corrections_sql(&self.tables)?, &[("sigs", Param::U64s(sigs.to_vec()))])
            .await?;
        Ok(sql::decode::<CorrectionRow>("corrections", rows)?
            .into_iter()
            .map(|c| (c.signature, c))
            .collect())
    }

    async fn builds(&self) -> Result<Vec<BuildRow>, ReviewError> {
        match self.sql.select(&sql::builds_sql(&self.tables)?, &[]).await {
            Ok(rows) => Ok(sql::decode("builds", rows)?),
            // No builds table yet (not migrated): every correction reads as pending.
            Err(e) => {
                tracing::warn!(error = %e, "reading the builds table");
                Ok(Vec::new())
            }
        }
    }

    // --- corrections ------------------------------------------------------------------

    async fn correct(
        &self,
        req: &HttpRequest,
        who: &Principal,
        now_ms: i64,
    ) -> Result<HttpResponse, ReviewError> {
        let body = request_body(req)?;
        let kb = self.kb().await?;
        let schema = &kb.classifier.kb().body.schema;
        let c: Correction = request::correction(&body, schema)?;
        let (days, _) = request::queue_query(req).map(|(q, f)| (q.days, f))?;
        let sigs = match &c.target {
            Target::Shapes(s) => s.clone(),
            Target::Event(id) => {
                let rows = self
                    .sql
                    .select(
                        &sql::event_shape_sql(&self.tables)?,
                        &[("event_id", Param::Str(id.to_string()))],
                    )
                    .await?;
                let sig = rows
                    .first()
                    .and_then(|r| r.get("signature_hex"))
                    .and_then(Value::as_str)
                    .and_then(|h| h.parse::<Signature>().ok())
                    .ok_or_else(|| not_found("event_id", format!("no stored event {id}")))?;
                vec![sig]
            }
        };
        let extents: Vec<ShapeExtent> = sql::decode(
            "extent",
            self.sql
                .select(
                    &sql::extent_sql(&self.tables)?,
                    &[
                        ("days", Param::U64(days.into())),
                        ("sigs", Param::U64s(sigs.iter().map(|s| s.0).collect())),
                    ],
                )
                .await?,
        )?;
        let by_sig: HashMap<Signature, &ShapeExtent> =
            extents.iter().map(|e| (e.signature, e)).collect();
        if let Some(missing) = sigs.iter().find(|s| !by_sig.contains_key(s)) {
            let field = match c.target {
                Target::Event(_) => "event_id",
                Target::Shapes(ref s) if s.len() > 1 => "signatures",
                _ => "signature",
            };
            return Err(not_found(
                field,
                format!("no record of shape {missing} in the last {days} days"),
            ));
        }
        let rows: Vec<Value> = sigs
            .iter()
            .map(|s| {
                let e = by_sig[s];
                let row = CorrectionRow {
                    signature: *s,
                    source: e.source.clone(),
                    class_uid: c.class_uid,
                    activity_id: c.activity_id,
                    who: who.who.clone(),
                    at_ms: now_ms,
                    note: c.note.clone(),
                    withdrawn: false,
                };
                sql::correction_insert_row(&row, &e.raw)
            })
            .collect();
        self.sql.insert_json(&self.tables.overrides, &sql::CORRECTION_COLUMNS, &rows).await?;
        tracing::info!(who = %who.who, shapes = sigs.len(), class_uid = c.class_uid, activity_id = ?c.activity_id, "correction stored");
        let rebuild = self.request_rebuild("correction").await;
        let out: Vec<Value> = sigs
            .iter()
            .map(|s| {
                let e = by_sig[s];
                json!({
                    "signature": s, "source": e.source, "class_uid": c.class_uid,
                    "activity_id": c.activity_id, "records_in_window": e.count,
                    "confirmed": e.class_uid == c.class_uid,
                })
            })
            .collect();
        Ok(json_response(
            201,
            &json!({"corrections": out, "rebuild": rebuild, "window": {"days": days}}),
        ))
    }

    async fn withdraw(
        &self,
        sig: Signature,
        who: &Principal,
        now_ms: i64,
    ) -> Result<HttpResponse, ReviewError> {
        let current = self.corrections(&[sig.0]).await?;
        let Some(c) = current.get(&sig).filter(|c| !c.withdrawn) else {
            return Err(not_found("signature", format!("shape {sig} has no active correction")));
        };
        let withdrawal = CorrectionRow {
            who: who.who.clone(),
            at_ms: now_ms.max(c.at_ms + 1),
            note: format!("withdrawn by {}", who.who),
            withdrawn: true,
            ..c.clone()
        };
        let row = sql::correction_insert_row(&withdrawal, "");
        self.sql.insert_json(&self.tables.overrides, &sql::CORRECTION_COLUMNS, &[row]).await?;
        tracing::info!(who = %who.who, signature = %sig, "correction withdrawn");
        let rebuild = self.request_rebuild("withdrawal").await;
        Ok(json_response(200, &json!({"signature": sig, "withdrawn": true, "rebuild": rebuild})))
    }

    /// The correction is stored whatever happens here: a failed request leaves it for the
    /// next scheduled rebuild, which the answer says.
    async fn request_rebuild(&self, why: &str) -> &'static str {
        match self.rebuild.request_rebuild(why).await {
            Ok(true) => "requested",
            Ok(false) => "not_configured",
            Err(e) => {
                tracing::warn!(error = %e, "could not request a rebuild; the scheduled one will pick the correction up");
                "failed"
            }
        }
    }

    // --- dashboard and picker ---------------------------------------------------------

    async fn stats(&self, now_ms: i64) -> Result<HttpResponse, ReviewError> {
        let hourly: Vec<sql::HourClassRow> =
            sql::decode("hourly", self.sql.select(&sql::hourly_sql(&self.tables)?, &[]).await?)?;
        let sources: Vec<sql::SourceRow> = sql::decode(
            "sources",
            self.sql.select(&sql::top_sources_sql(&self.tables)?, &[]).await?,
        )?;
        let corrections = self.corrections(&[]).await?;
        let builds = self.builds().await?;
        let kb_version = match self.kb.current().await {
            Ok(kb) => Some(kb.version().to_string()),
            Err(_) => builds.iter().find(|b| b.outcome != "refused").map(|b| b.kb_version.clone()),
        };
        let hour_ms = 3_600_000;
        let first = (now_ms / hour_ms - 23) * hour_ms;
        let hours: Vec<String> = (0..24).map(|i| sql::iso_text(first + i * hour_ms)).collect();
        let index: HashMap<&str, usize> =
            hours.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
        let mut per_class: Vec<(u32, String, Vec<u64>)> = Vec::new();
        let (mut total, mut review) = (vec![0u64; 24], vec![0u64; 24]);
        for r in &hourly {
            let Some(&i) = index.get(r.hour.as_str()) else { continue };
            total[i] += r.records;
            review[i] += r.needs_review;
            match per_class.iter_mut().find(|c| c.0 == r.class_uid) {
                Some(c) => c.2[i] += r.records,
                None => {
                    let mut counts = vec![0; 24];
                    counts[i] = r.records;
                    per_class.push((r.class_uid, r.class_name.clone(), counts));
                }
            }
        }
        per_class.sort_by_key(|c| std::cmp::Reverse(c.2.iter().sum::<u64>()));
        let records: u64 = total.iter().sum();
        let needs: u64 = review.iter().sum();
        let active: Vec<&CorrectionRow> = corrections.values().filter(|c| !c.withdrawn).collect();
        let pending = active.iter().filter(|c| state::of(c, &builds).status == "pending").count();
        let last_24h = active.iter().filter(|c| c.at_ms >= now_ms - 24 * hour_ms).count();
        Ok(json_response(
            200,
            &json!({
                "kb_version": kb_version,
                "hours": hours,
                "per_class": per_class.iter().map(|(uid, name, counts)| json!({"class_uid": uid, "class_name": name, "counts": counts})).collect::<Vec<_>>(),
                "records_24h": records,
                "needs_review_24h": needs,
                "review_share_24h": if records > 0 { Some(needs as f64 / records as f64) } else { None },
                "review_share_per_hour": total.iter().zip(&review).map(|(t, r)| if *t > 0 { Some(*r as f64 / *t as f64) } else { None }).collect::<Vec<_>>(),
                "top_sources": sources.iter().map(|s| json!({"source": s.source, "records": s.records, "needs_review": s.needs_review})).collect::<Vec<_>>(),
                "corrections": {"active": active.len(), "last_24h": last_24h, "pending": pending},
                "last_build": builds.first().map(|b| json!({
                    "at": sql::iso_text(b.at_ms), "outcome": b.outcome, "kb_version": b.kb_version,
                    "reason": if b.reason.is_empty() { None } else { Some(&b.reason) },
                })),
            }),
        ))
    }

    async fn classes(&self) -> Result<HttpResponse, ReviewError> {
        let kb = self.kb().await?;
        let schema = &kb.classifier.kb().body.schema;
        let classes: Vec<Value> = schema
            .active_classes()
            .map(|c| {
                json!({
                    "class_uid": c.uid, "name": c.caption, "category": c.category,
                    "activities": c.activities.iter().map(|a| json!({"id": a.id, "name": a.caption})).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json_response(200, &json!({"ocsf_version": schema.version, "classes": classes})))
    }
}

fn request_body(req: &HttpRequest) -> Result<Vec<u8>, ReviewError> {
    use base64::Engine as _;
    let text = req.body.as_deref().unwrap_or("");
    if text.len() > request::MAX_BODY_BYTES * 2 {
        return Err(ReviewError::TooLarge { limit: request::MAX_BODY_BYTES });
    }
    if req.body_is_base64 {
        base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| ReviewError::BadInput {
            field: "body".into(),
            message: "not valid base64".into(),
        })
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

/// What the KB in use decides for a sample now (and, in the detail view, its OCSF event).
fn now_decision(kb: &ActiveKb, sample: &SampleRow, with_event: bool) -> Value {
    let record = parse::parse(&sample.raw);
    let d = kb.classifier.classify_record(&record);
    let schema = &kb.classifier.kb().body.schema;
    let mut v = json!({
        "kb_version": kb.version(),
        "class_uid": d.class_uid, "class_name": d.class_name,
        "activity_id": d.activity_id, "activity_name": d.activity_name,
        "confidence": d.confidence, "needs_review": d.needs_review, "decided_by": d.decided_by,
        "candidates": d.candidates.iter().map(|c| json!({
            "class_uid": c.class_uid,
            "class_name": schema.class(c.class_uid).map(|k| k.caption.clone()).unwrap_or_default(),
            "probability": c.score,
        })).collect::<Vec<_>>(),
        "evidence": d.evidence,
    });
    if with_event {
        let ctx = EventContext {
            event_id: uuid::Uuid::parse_str(&sample.event_id).ok(),
            received_at_ms: crate::pipeline::now_ms(),
            source: Some(sample.source.clone()),
        };
        let built = kb.mapper.build_raw(&sample.raw, &record, &d, &ctx);
        v["ocsf_event"] = built.event.to_value();
    }
    v
}

fn correction_json(c: &CorrectionRow, builds: &[BuildRow], class_name: &str) -> Value {
    json!({
        "class_uid": c.class_uid, "class_name": class_name, "activity_id": c.activity_id,
        "who": c.who, "at": sql::iso_text(c.at_ms), "note": c.note, "withdrawn": c.withdrawn,
        "state": state::of(c, builds),
    })
}
