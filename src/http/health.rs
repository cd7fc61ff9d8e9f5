//! Liveness, readiness and metrics.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json, payload::PlainText};

use super::error::{ApiError, ApiResult};
use super::{ApiTags, AppState};
use crate::telemetry;
use crate::web::error::answers::*;

pub struct HealthApi;

/// How long readiness waits for the database before saying it is not ready.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// The service can reach its database.
#[derive(Debug, Object)]
pub struct Readiness {
    pub status: ReadinessStatus,
}

/// The only answer a `200` can give; anything else is a `503`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReadinessStatus {
    Ready,
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// The database answered.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness
    ///
    /// Answers `ok` while the process runs, whatever the state of the database. Restart the
    /// process only when this fails.
    #[oai(path = "/healthz", method = "get", operation_id = "healthz")]
    async fn healthz(&self) -> PlainText<&'static str> {
        PlainText("ok")
    }

    /// Readiness
    ///
    /// `200` when the database answers, `503` otherwise: take the instance out of the load
    /// balancer until it recovers.
    #[oai(path = "/readyz", method = "get", operation_id = "readyz")]
    async fn readyz(&self, state: Data<&AppState>) -> ApiResult<ReadyResponse, ALWAYS> {
        // A probe wants an answer, not a wait: a database that does not answer in time is down.
        match tokio::time::timeout(READY_WITHIN, state.db.ping()).await {
            Ok(answered) => answered.map_err(ApiError::Unavailable)?,
            Err(_) => {
                return Err(ApiError::Unavailable(sea_orm::DbErr::Custom(format!(
                    "no answer within {READY_WITHIN:?}"
                )))
                .into());
            }
        }
        Ok(ReadyResponse::Ready(Json(Readiness {
            status: ReadinessStatus::Ready,
        })))
    }

    /// Metrics
    ///
    /// Prometheus text format: `http_requests_total` by method, route and status,
    /// `http_request_duration_seconds` (histogram) by method and route, and the database
    /// pool's `db_pool_connections` by state, and `sync_event_streams`, the open poke streams.
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self, state: Data<&AppState>) -> PlainText<String> {
        record_pool_usage(&state.db);
        metrics::gauge!("sync_event_streams").set(state.sync.poker.listeners() as f64);
        let (batches, pushes) = state.sync.group_commit.batches();
        // Pushes per write transaction: how much group commit is saving.
        metrics::counter!("sync_push_batches_total").absolute(batches);
        metrics::counter!("sync_pushes_total").absolute(pushes);
        metrics::gauge!("sync_push_waiting").set(state.sync.group_commit.waiting() as f64);
        PlainText(telemetry::metrics().render())
    }
}

fn record_pool_usage(db: &sea_orm::DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(size - idle));
}
