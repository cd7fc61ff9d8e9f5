//! Reads of the daily logs: a month of one cell's entries, or of one worker's, with the
//! month's counts (entries, home visits, closed on the spot, follow-ups), as the committee
//! reviews each worker monthly. Only entries the caller sees (the same rule as the sync
//! feed's: [`super::sees`]) are listed or counted.

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::rules::{self, Status};
use super::wire::LogEntryData;
use super::{entity, logs, sees};
use crate::auth::bearer::BearerAuth;
use crate::domain::FieldError;
use crate::features::Change;
use crate::features::territory::local_today;
use crate::web::Core;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

#[derive(Tags)]
pub enum GridTags {
    /// Grid workers' daily logs (民情工作日誌), by cell or by worker, a month at a time.
    Grid,
}

pub struct GridApi;

/// A month of log entries with its counts.
#[derive(Debug, Object)]
pub struct LogMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// By day, oldest first.
    pub entries: Vec<LogEntryData>,
    pub entry_count: u32,
    /// Home visits (入户走访).
    pub home_visits: u32,
    pub closed_on_the_spot: u32,
    pub follow_ups: u32,
}

#[OpenApi(prefix_path = "/api/v1", tag = "GridTags::Grid")]
impl GridApi {
    /// A month of a daily log
    ///
    /// One cell's entries (`cell_id`), one worker's (`worker_id`; by default the caller's
    /// own), or both: that worker's in that cell, in a month (`month`, `YYYY-MM`; by default this one, Beijing time),
    /// with the month's counts. Lists only entries the caller sees: their own, their cell's
    /// as its grid worker, all as president, vice president or admin.
    #[oai(path = "/grid/log", method = "get", operation_id = "getGridLog")]
    async fn log(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        /// A grid cell.
        cell_id: Query<Option<Uuid>>,
        /// A grid worker (a resident).
        worker_id: Query<Option<Uuid>>,
        /// `YYYY-MM`.
        #[oai(validator(pattern = "^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"))]
        month: Query<Option<String>>,
    ) -> ApiResult<Json<LogMonth>, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let month = month
            .0
            .unwrap_or_else(|| local_today(chrono::Utc::now()).format("%Y-%m").to_string());
        let (first, next) = rules::month(&month)
            .ok_or_else(|| ApiError::Validation(FieldError::new("month", "must be YYYY-MM")))?;
        let mut q = entity::Entity::find()
            .filter(entity::Column::CommunityId.eq(actor.community_id))
            .filter(entity::Column::DeletedAt.is_null())
            .filter(entity::Column::Day.gte(first))
            .filter(entity::Column::Day.lt(next));
        q = match (cell_id.0, worker_id.0) {
            // Both: that worker's entries in that cell.
            (Some(cell), Some(worker)) => q
                .filter(entity::Column::CellId.eq(cell))
                .filter(entity::Column::WorkerId.eq(worker)),
            (Some(cell), None) => q.filter(entity::Column::CellId.eq(cell)),
            (None, worker) => {
                q.filter(entity::Column::WorkerId.eq(worker.unwrap_or(actor.resident_id)))
            }
        };
        let rows: Vec<entity::Model> = q
            .order_by_asc(entity::Column::Day)
            .order_by_asc(entity::Column::CreatedAt)
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|e| sees(&actor, e))
            .collect();
        let counts = rules::count(rows.iter().map(|e| {
            (
                e.home_visit,
                Status::parse(&e.status).unwrap_or(Status::Closed),
            )
        }));
        let entries = rows
            .iter()
            .filter_map(|e| match logs::change(e) {
                Change::LogEntry(c) => c.data,
                _ => None,
            })
            .collect();
        Ok(Json(LogMonth {
            month,
            entries,
            entry_count: counts.entries,
            home_visits: counts.home_visits,
            closed_on_the_spot: counts.closed_on_the_spot,
            follow_ups: counts.follow_ups,
        }))
    }
}
