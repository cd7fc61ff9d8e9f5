//! The HTTP API: one `#[OpenApi]` struct per tag, composed into one [`OpenApiService`] whose
//! document is served at `/openapi.json`, browsable at `/docs`, and committed as
//! `openapi/openapi.json`.
//!
//! - [`health`]: liveness, readiness and Prometheus metrics.
//! - [`auth`]: registration, login, token refresh and logout.
//! - [`account`]: the caller's own profile.
//! - [`communities`]: the communities of this deployment and their residents.
//! - [`sync`]: push, pull and the poke stream of the sync engine (`crate::sync`), over the
//!   app's contract (`crate::features`).
//! - each capability's own REST reads, from its folder (`crate::features::*::http`).
//! - errors are `crate::web::error`'s: one type and its problem+json responses.
//! - [`webapp`]: the residents' web app at `/app/`, embedded in the binary.
//! - [`middleware`]: request ids, one log line and metrics per request, the body limit, and
//!   the rewrite that makes every error problem+json.

pub mod account;
pub mod auth;
pub mod communities;
pub mod compress;
pub mod contract;
pub mod health;
pub mod middleware;
pub mod rate;
pub mod serve;
pub mod sync;
pub mod webapp;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use poem::{Endpoint, EndpointExt, Route, get};
use poem_openapi::{OpenApiService, Tags};
use sea_orm::{DatabaseConnection, DbErr};

use crate::auth::revoked::RevokedSessions;
use crate::auth::tokens::TokenKeys;
use crate::domain::hlc::ServerClock;
use crate::domain::permissions::Grant;
use crate::domain::throttle::LoginThrottle;
use crate::features::{
    App, announcements, attachments, cases, crowdfunding, deliberation, elections, grid, mediation,
    notifications, reception, schedule, talents, territory,
};
use crate::sync::cursor::CursorKey;
use crate::sync::pokes::Poker;
use crate::sync::write::WriteGate;
use crate::sync::{SyncApp, SyncEngine};
use crate::web::Core;
pub use crate::web::error;

/// What every handler of the HTTP layer can reach: the [`Core`] the capabilities' reads
/// share, sessions, and the sync engine.
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub tokens: Arc<TokenKeys>,
    pub login_throttle: Arc<LoginThrottle>,
    /// Logged-out sessions, whose access tokens are refused.
    pub revoked: Arc<RevokedSessions>,
    /// How often the event stream sends a heartbeat.
    pub heartbeat: std::time::Duration,
    /// How long a used refresh token still answers a retry with the same successor.
    pub refresh_reuse_window: chrono::Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// Each resident's sync request rates.
    pub sync_limits: Arc<rate::SyncLimits>,
    pub sync: Arc<SyncEngine<App>>,
    /// Where photos' bytes are kept.
    pub attachments: Arc<crate::features::attachments::Store>,
    /// How notifications leave the server beside the inbox.
    pub notifications: Arc<crate::features::notifications::Config>,
}

impl AppState {
    /// The state of a server (or of `linli demo`, which writes as phones would) over `db`,
    /// with pulls reading their snapshots from `reader`.
    pub fn new(
        db: DatabaseConnection,
        reader: DatabaseConnection,
        tokens: TokenKeys,
        cursor_key: CursorKey,
        poker: Arc<Poker>,
        heartbeat: std::time::Duration,
    ) -> Self {
        let write_gate = Arc::new(WriteGate::for_backend(db.get_database_backend()));
        let sync = SyncEngine::new(
            db.clone(),
            reader,
            Arc::new(ServerClock::default()),
            Arc::new(cursor_key),
            poker,
            write_gate.clone(),
        );
        Self {
            core: Core {
                db,
                write_gate,
                grants_of,
            },
            tokens: Arc::new(tokens),
            login_throttle: Arc::new(LoginThrottle::default()),
            revoked: Arc::default(),
            heartbeat,
            refresh_reuse_window: crate::auth::tokens::REFRESH_REUSE_WINDOW,
            trusted_proxies: Arc::default(),
            sync_limits: Arc::new(rate::SyncLimits::new(rate::SyncRates::default())),
            sync: Arc::new(sync),
            attachments: Arc::new(crate::features::attachments::Store::memory()),
            notifications: Arc::default(),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

/// Every role a resident holds, as the app reads them (for [`Core::grants_of`]).
pub fn grants_of(
    db: &DatabaseConnection,
    resident: uuid::Uuid,
) -> BoxFuture<'_, Result<Vec<Grant>, DbErr>> {
    Box::pin(App::grants_of(db, resident))
}

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness, readiness and metrics for operators and load balancers.
    Health,
    /// Accounts and sessions: register, log in, refresh, log out.
    Auth,
    /// The signed-in resident's own account.
    Account,
    /// The communities served by this deployment, and their residents.
    Communities,
    /// Offline-first sync: push queued mutations, pull changes, listen for pokes.
    Sync,
}

pub type Apis = (
    health::HealthApi,
    auth::AuthApi,
    account::AccountApi,
    communities::CommunitiesApi,
    sync::SyncApi,
    Capabilities,
    attachments::http::AttachmentsApi,
);

/// The capabilities' APIs, one per tag (a tuple of their own: poem-openapi implements
/// `OpenApi` for tuples of at most 16).
pub type Capabilities = (
    schedule::http::ScheduleApi,
    territory::http::TerritoryApi,
    elections::http::ElectionsApi,
    deliberation::http::DeliberationApi,
    grid::http::GridApi,
    cases::http::CasesApi,
    mediation::http::MediationApi,
    reception::http::ReceptionApi,
    announcements::http::AnnouncementsApi,
    crowdfunding::http::CrowdfundingApi,
    talents::http::TalentsApi,
    notifications::http::NotificationsApi,
);

/// The API and its OpenAPI document.
pub fn api_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            health::HealthApi,
            auth::AuthApi,
            account::AccountApi,
            communities::CommunitiesApi,
            sync::SyncApi,
            (
                schedule::http::ScheduleApi,
                territory::http::TerritoryApi,
                elections::http::ElectionsApi,
                deliberation::http::DeliberationApi,
                grid::http::GridApi,
                cases::http::CasesApi,
                mediation::http::MediationApi,
                reception::http::ReceptionApi,
                announcements::http::AnnouncementsApi,
                crowdfunding::http::CrowdfundingApi,
                talents::http::TalentsApi,
                notifications::http::NotificationsApi,
            ),
            attachments::http::AttachmentsApi,
        ),
        "linli",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "linli lets a residents' committee run its community from residents' phones: volunteer \
         groups' schedules sync offline-first, volunteers sign up for sessions. Every error is an \
         RFC 9457 `application/problem+json` body with a stable `code`.",
    )
}

/// The OpenAPI document as committed in `openapi/openapi.json` (with a final newline).
pub fn spec_json() -> String {
    let mut spec: serde_json::Value =
        serde_json::from_str(&api_service().spec()).expect("poem-openapi writes valid JSON");
    declare_integer_ranges(&mut spec);
    declare_dates(&mut spec);
    declare_null_as_absent(&mut spec);
    declare_links(&mut spec);
    let mut spec = serde_json::to_string_pretty(&spec).expect("a JSON value serialises");
    spec.push('\n');
    spec
}

/// poem-openapi names a calendar date's format `naive-date`, which no validator or generator
/// knows (so any string would pass for one); OpenAPI's own name is `date` (RFC 3339
/// `full-date`, `2026-12-02`), which is what the server reads.
fn declare_dates(node: &mut serde_json::Value) {
    match node {
        serde_json::Value::Object(map) => {
            if map.get("format").and_then(|f| f.as_str()) == Some("naive-date") {
                map.insert("format".into(), "date".into());
            }
            map.values_mut().for_each(declare_dates);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(declare_dates),
        _ => {}
    }
}

/// poem-openapi marks Rust's unsigned integers only with `format: uint32`/`uint64`, which
/// JSON Schema validators ignore (a client could send `-1` or `2^40` and believe it valid)
/// and SDK generators do not know (Kotlin made them a 32-bit `Int`). Declare the range the
/// server parses, as the standard `int32`/`int64` (an explicit validator on a field wins). `uint64` is
/// capped at 2^53 - 1 so that JavaScript clients represent it exactly.
fn declare_integer_ranges(node: &mut serde_json::Value) {
    use serde_json::{Value, json};
    match node {
        Value::Object(map) => {
            let range = match map.get("format").and_then(Value::as_str) {
                Some("uint8") => Some(("int32", json!(0), json!(u8::MAX))),
                Some("uint16") => Some(("int32", json!(0), json!(u16::MAX))),
                Some("uint32") => Some(("int64", json!(0), json!(u32::MAX))),
                Some("uint64") => Some(("int64", json!(0), json!(9_007_199_254_740_991_u64))),
                Some("int32") => Some(("int32", json!(i32::MIN), json!(i32::MAX))),
                _ => None,
            };
            if let Some((format, min, max)) = range
                && map.get("type").and_then(Value::as_str) == Some("integer")
            {
                map.insert("format".into(), json!(format));
                map.entry("minimum").or_insert(min);
                map.entry("maximum").or_insert(max);
            }
            map.values_mut().for_each(declare_integer_ranges);
        }
        Value::Array(items) => items.iter_mut().for_each(declare_integer_ranges),
        _ => {}
    }
}

/// In a request body, poem-openapi reads `null` for an optional field as "absent" (or, for the
/// fields whose docs say so, as "clear this value"); declare it, so that clients whose JSON
/// library writes `null` for unset fields (Kotlin's, by default) match the document.
fn declare_null_as_absent(spec: &mut serde_json::Value) {
    use serde_json::Value;
    fn refs(node: &Value, out: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    out.push(r.trim_start_matches("#/components/schemas/").to_owned());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    for operations in spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in operations.as_object().into_iter().flat_map(|o| o.values()) {
            refs(&operation["requestBody"], &mut pending);
        }
    }
    let mut request_schemas = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if request_schemas.insert(name.clone()) {
            refs(&spec["components"]["schemas"][&name], &mut pending);
        }
    }
    for name in request_schemas {
        let Some(schema) = spec["components"]["schemas"].get_mut(&name) else {
            continue;
        };
        let required: Vec<Value> = schema["required"].as_array().cloned().unwrap_or_default();
        if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            for (field, property) in properties {
                if required.contains(&Value::String(field.clone())) {
                    continue;
                }
                // A `$ref` ignores its siblings: wrap it to say more.
                if let Some(target) = property.get("$ref").cloned() {
                    *property = serde_json::json!({"allOf": [{"$ref": target}]});
                }
                if let Some(property) = property.as_object_mut() {
                    property.insert("nullable".into(), Value::Bool(true));
                }
            }
        }
    }
}

/// OpenAPI `links`: how an answer leads to the next call (a group listed → its series, roster,
/// sessions and calendar). Generated docs show them, and schemathesis's stateful phase follows
/// them with real ids instead of random ones. (A pull → the next page would need a link
/// `requestBody` object, which openapi-generator's validator refuses.)
fn declare_links(spec: &mut serde_json::Value) {
    use serde_json::json;
    let first_group = "$response.body#/0/id";
    let links = [
        (
            "/api/v1/communities",
            "get",
            "residents",
            json!({"operationId": "list_residents",
                   "parameters": {"community_id": "$response.body#/0/id"},
                   "description": "The first community's residents (its admins only)."}),
        ),
        (
            "/api/v1/groups",
            "get",
            "series",
            json!({"operationId": "list_group_series", "parameters": {"group_id": first_group},
                   "description": "The first group's schedule series."}),
        ),
        (
            "/api/v1/groups",
            "get",
            "roster",
            json!({"operationId": "get_group_roster", "parameters": {"group_id": first_group},
                   "description": "The first group's roster (its leaders and admins)."}),
        ),
        (
            "/api/v1/groups",
            "get",
            "occurrences",
            json!({"operationId": "list_occurrences",
                   "parameters": {"group_id": first_group, "from": "2026-12-01T00:00:00Z"},
                   "description": "The first group's sessions in a week."}),
        ),
        (
            "/api/v1/groups",
            "get",
            "calendar",
            json!({"operationId": "get_group_calendar", "parameters": {"group_id": first_group},
                   "description": "The first group's public calendar feed."}),
        ),
    ];
    for (path, method, name, link) in links {
        if let Some(ok) = spec["paths"][path][method]["responses"]
            .get_mut("200")
            .and_then(serde_json::Value::as_object_mut)
        {
            let all = ok.entry("links").or_insert_with(|| json!({}));
            all[name] = link;
        }
    }
}

/// Every route of the service, with its middleware.
pub fn routes(state: AppState) -> impl Endpoint {
    let api = api_service();
    let docs = api.swagger_ui();
    let spec = spec_json();
    let allow = Arc::new(middleware::AllowTable::from_spec(&spec));
    let bodies = Arc::new(contract::BodyContract::from_spec(&spec));
    // The API's service is nested at the root, so it owns `/` too: the front door is asked first.
    let api = poem::IntoEndpoint::into_endpoint(api).around(|ep, req| async move {
        if req.uri().path() == "/" {
            return Ok(webapp::front_door_response());
        }
        ep.call(req).await.map(poem::IntoResponse::into_response)
    });
    Route::new()
        .nest("/", api)
        .nest("/docs", docs)
        .at("/app", get(webapp::front_door))
        .at("/app/", get(webapp::file))
        .at("/app/*path", get(webapp::file))
        .at(
            "/openapi.json",
            get(poem::endpoint::make_sync(move |_| {
                poem::Response::builder()
                    .content_type("application/json")
                    .body(spec.clone())
            })),
        )
        .data(state.tokens.clone())
        .data(state.revoked.clone())
        .data(state.core.clone())
        .data(state)
        .with(poem::middleware::CatchPanic::new())
        .around(move |ep, req| middleware::observe(ep, req, allow.clone(), bodies.clone()))
}
