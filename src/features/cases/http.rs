//! Reads of cases for screens without a replica: the register of the cases one sees (open
//! ones first, overdue ones flagged) and one case with its timeline. Visibility is decided
//! by the same keys as the sync feed's ([`super::sees_over`]), in the query itself.

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::case_file;
use super::rules::{self, State};
use super::stats::{self, Figures, Period};
use super::wire::CaseData;
use super::{handling, sees, sees_over};
use crate::auth::bearer::BearerAuth;
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Target, decide};
use crate::features::Change;
use crate::http::AppState;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

#[derive(Tags)]
pub enum CaseTags {
    /// Residents' requests and the committee's affairs, from report to the reporter's
    /// confirmation (發現 → 上報 → 分派 → 處置 → 反饋 → 考核).
    Cases,
}

pub struct CasesApi;

/// An XLSX workbook.
#[derive(poem_openapi::ApiResponse)]
pub enum Workbook {
    /// The figures, a sheet per breakdown.
    #[oai(
        status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )]
    Ok(
        poem_openapi::payload::Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// A case, flagged when overdue.
#[derive(Debug, Object)]
pub struct CaseView {
    pub case: CaseData,
    /// Past its due time and still open.
    pub overdue: bool,
}

fn view(c: &case_file::Model, now: chrono::DateTime<chrono::Utc>) -> Option<CaseView> {
    let Change::Case(change) = handling::change(c) else {
        return None;
    };
    let data = change.data?;
    Some(CaseView {
        overdue: rules::overdue(data.state, data.due_at, now),
        case: data,
    })
}

#[OpenApi(prefix_path = "/api/v1", tag = "CaseTags::Cases")]
impl CasesApi {
    /// The cases one sees
    ///
    /// Those one reported (or that were reported for one), and those one handles, is
    /// assigned, or took for someone: holders see their part's, the president and vice
    /// president all but disputes (the president those too), admins all. Optionally only
    /// in one state, or only overdue ones. Open cases first, by due time.
    #[oai(path = "/cases", method = "get", operation_id = "listCases")]
    async fn cases(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Only cases in this state.
        #[oai(name = "state")]
        in_state: Query<Option<State>>,
        /// Only overdue cases.
        overdue: Query<Option<bool>>,
    ) -> ApiResult<Json<Vec<CaseView>>, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let mut q = case_file::Entity::find()
            .filter(case_file::Column::CommunityId.eq(actor.community_id))
            .filter(case_file::Column::DeletedAt.is_null());
        {
            let keys: Vec<Uuid> = sees_over(&actor).collect();
            let mut seen =
                Condition::any().add(case_file::Column::ReporterId.eq(actor.resident_id));
            // Admins see every case but the confidential ones (disputes).
            if actor.is_admin_of(actor.community_id) {
                seen = seen.add(case_file::Column::Confidential.eq(false));
            }
            for col in [
                case_file::Column::CellKey,
                case_file::Column::BuildingKey,
                case_file::Column::AreaKey,
                case_file::Column::CompoundKey,
                case_file::Column::OfficeKey,
                case_file::Column::AssigneeKey,
                case_file::Column::IntakeKey,
            ] {
                seen = seen.add(col.is_in(keys.iter().copied()));
            }
            q = q.filter(seen);
        }
        if let Some(s) = in_state.0 {
            q = q.filter(case_file::Column::State.eq(s.as_str()));
        }
        let now = state.sync.clock.wall();
        let mut views: Vec<CaseView> = q
            .order_by_asc(case_file::Column::DueAt)
            .all(&state.db)
            .await?
            .iter()
            .filter(|c| sees(&actor, c))
            .filter_map(|c| view(c, now))
            .filter(|v| overdue.0.is_none_or(|o| v.overdue == o))
            .collect();
        views.sort_by_key(|v| (!v.case.state.open(), v.case.due_at));
        Ok(Json(views))
    }

    /// A case
    ///
    /// With its whole timeline, for whoever sees it (its reporter, those who handle it or
    /// are assigned it, who took it).
    #[oai(path = "/cases/:id", method = "get", operation_id = "getCase")]
    async fn case(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<CaseView>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        case_file::Entity::find_by_id(id.0)
            .one(&state.db)
            .await?
            .filter(|c| sees(&actor, c))
            .and_then(|c| view(&c, state.sync.clock.wall()))
            .map(Json)
            .ok_or(ApiError::NotFound("case").into())
    }

    /// The committee's figures
    ///
    /// For a year (`year`, default this one) or one month of it (`month`), Beijing time:
    /// affairs handled (cases resolved) by category and compound, the median time to
    /// resolve, the share resolved late and those open past due, satisfaction, disputes
    /// mediated by outcome (their outcome alone), and each grid worker's log entries and home
    /// visits (admins and the president).
    #[oai(
        path = "/casework/figures",
        method = "get",
        operation_id = "getCaseworkFigures"
    )]
    async fn figures(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Default: this year.
        #[oai(validator(minimum(value = "2000"), maximum(value = "2100")))]
        year: Query<Option<i32>>,
        /// 1 to 12; none: the whole year.
        #[oai(validator(minimum(value = "1"), maximum(value = "12")))]
        month: Query<Option<u32>>,
    ) -> ApiResult<Json<Figures>, { SIGNED_IN | PARAMS | FORBIDDEN }> {
        Ok(Json(figures_for(&state, &auth, year.0, month.0).await?))
    }

    /// The committee's figures as a workbook
    ///
    /// The same figures as `getCaseworkFigures`, as an XLSX workbook with a summary sheet
    /// and one per breakdown (admins and the president).
    #[oai(
        path = "/casework/figures.xlsx",
        method = "get",
        operation_id = "getCaseworkWorkbook"
    )]
    async fn workbook(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Default: this year.
        #[oai(validator(minimum(value = "2000"), maximum(value = "2100")))]
        year: Query<Option<i32>>,
        /// 1 to 12; none: the whole year.
        #[oai(validator(minimum(value = "1"), maximum(value = "12")))]
        month: Query<Option<u32>>,
    ) -> ApiResult<Workbook, { SIGNED_IN | PARAMS | FORBIDDEN }> {
        let f = figures_for(&state, &auth, year.0, month.0).await?;
        let bytes = stats::workbook(&f).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Workbook::Ok(
            poem_openapi::payload::Binary(bytes),
            format!("attachment; filename=\"casework-{}.xlsx\"", f.period),
        ))
    }
}

async fn figures_for(
    state: &AppState,
    auth: &BearerAuth,
    year: Option<i32>,
    month: Option<u32>,
) -> Result<Figures, ApiError> {
    let actor = state.actor(&auth.0).await?;
    crate::web::authorize(
        decide(
            &actor,
            Action::HandleCases,
            Target::Community {
                id: actor.community_id,
            },
        ),
        "figures",
    )?;
    let now = state.sync.clock.wall();
    let year = year.unwrap_or_else(|| stats::this_year(now));
    let period = Period::of(year, month)
        .ok_or_else(|| ApiError::Validation(FieldError::new("month", "must be 1 to 12")))?;
    Ok(stats::gather(
        &state.db,
        actor.community_id,
        stats::label(year, month),
        period,
        now,
    )
    .await?)
}
