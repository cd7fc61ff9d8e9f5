//! What cases hold about a resident: the cases they reported (or that were reported for
//! them), for their data export. When an account is deleted its cases stay, as the
//! committee's record of its affairs, but no longer name the reporter.

use poem_openapi::Object;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::case_file;
use super::handling;
use super::wire::CaseData;
use crate::features::Change;
use crate::sync::write::bump_version;

#[derive(Debug, Object)]
pub struct CasesData {
    pub reported: Vec<CaseData>,
}

pub async fn held_by(conn: &impl ConnectionTrait, resident: Uuid) -> Result<CasesData, DbErr> {
    let reported = case_file::Entity::find()
        .filter(case_file::Column::ReporterId.eq(resident))
        .filter(case_file::Column::DeletedAt.is_null())
        .order_by_asc(case_file::Column::CreatedAt)
        .all(conn)
        .await?
        .iter()
        .filter_map(|c| match handling::change(c) {
            Change::Case(c) => c.data,
            _ => None,
        })
        .collect();
    Ok(CasesData { reported })
}

/// Unnames the resident on the cases they reported; the newest version written, if any.
pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
) -> Result<Option<i64>, DbErr> {
    let theirs = case_file::Entity::find()
        .filter(case_file::Column::ReporterId.eq(resident))
        .all(conn)
        .await?;
    if theirs.is_empty() {
        return Ok(None);
    }
    let version = bump_version(conn, community).await?;
    case_file::Entity::update_many()
        .col_expr(
            case_file::Column::ReporterName,
            crate::persistence::residents::DELETED_NAME.into(),
        )
        .col_expr(case_file::Column::Version, version.into())
        .filter(case_file::Column::ReporterId.eq(resident))
        .exec(conn)
        .await?;
    Ok(Some(version))
}
