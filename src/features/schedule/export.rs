//! What the schedule holds about one resident, for their data export
//! (`GET /api/v1/me/export`): the groups they belong to or left, their sign-ups, the
//! attendance marked for them, and whether they have a calendar feed.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::changes::signup_status;
use super::entity::{attendance, calendar_token, membership, series, signup, volunteer_group};
use super::rules::signup::Status;
use super::wire::{AttendanceStatus, MemberRole, SignupStatus};

/// What the schedule holds about the resident.
#[derive(Debug, Object)]
pub struct ScheduleData {
    /// Groups joined, including those left (with when).
    pub memberships: Vec<HeldMembership>,
    /// Every sign-up, whatever became of it.
    pub signups: Vec<HeldSignup>,
    /// Attendance marked for the resident, and their service hours.
    pub attendance: Vec<HeldAttendance>,
    /// When the personal calendar feed was made, if there is one (its link is secret and
    /// not repeated here).
    #[oai(skip_serializing_if_is_none)]
    pub calendar_feed_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
pub struct HeldMembership {
    pub group_id: Uuid,
    pub group_name: String,
    pub role: MemberRole,
    pub joined_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub left_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
pub struct HeldSignup {
    pub occurrence_id: Uuid,
    pub series_id: Uuid,
    pub series_title: String,
    pub original_start: DateTime<Utc>,
    pub party_size: u32,
    pub status: SignupStatus,
    /// Who asked: the resident, or a group leader for them.
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct HeldAttendance {
    pub occurrence_id: Uuid,
    pub series_id: Uuid,
    pub original_start: DateTime<Utc>,
    pub status: AttendanceStatus,
    pub hours: f64,
    /// The leader who marked it.
    pub marked_by: Uuid,
}

/// Everything the schedule holds about `resident`, read through `conn`.
pub async fn held_by(conn: &impl ConnectionTrait, resident: Uuid) -> Result<ScheduleData, DbErr> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::ResidentId.eq(resident))
        .order_by_asc(membership::Column::CreatedAt)
        .all(conn)
        .await?;
    let signups = signup::Entity::find()
        .filter(signup::Column::ResidentId.eq(resident))
        .order_by_asc(signup::Column::OriginalStart)
        .all(conn)
        .await?;
    let marked = attendance::Entity::find()
        .filter(attendance::Column::ResidentId.eq(resident))
        .order_by_asc(attendance::Column::OriginalStart)
        .all(conn)
        .await?;
    let groups: std::collections::HashMap<Uuid, String> = volunteer_group::Entity::find()
        .filter(volunteer_group::Column::Id.is_in(memberships.iter().map(|m| m.group_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let titles: std::collections::HashMap<Uuid, String> = series::Entity::find()
        .filter(series::Column::Id.is_in(signups.iter().map(|s| s.series_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s.title))
        .collect();
    let feed = calendar_token::Entity::find_by_id(resident)
        .one(conn)
        .await?;
    Ok(ScheduleData {
        memberships: memberships
            .into_iter()
            .map(|m| HeldMembership {
                group_name: groups.get(&m.group_id).cloned().unwrap_or_default(),
                group_id: m.group_id,
                role: MemberRole::parse(&m.role),
                joined_at: m.created_at,
                left_at: m.deleted_at,
            })
            .collect(),
        signups: signups
            .into_iter()
            .map(|s| HeldSignup {
                series_title: titles.get(&s.series_id).cloned().unwrap_or_default(),
                occurrence_id: s.occurrence_id,
                series_id: s.series_id,
                original_start: s.original_start,
                party_size: s.party_size.unsigned_abs(),
                status: signup_status(Status::parse(&s.status)),
                requested_by: s.requested_by,
                requested_at: s.created_at,
                updated_at: s.updated_at,
            })
            .collect(),
        attendance: marked
            .into_iter()
            .map(|a| HeldAttendance {
                occurrence_id: a.occurrence_id,
                series_id: a.series_id,
                original_start: a.original_start,
                status: AttendanceStatus::parse(&a.status),
                hours: f64::from(a.minutes) / 60.0,
                marked_by: a.marked_by,
            })
            .collect(),
        calendar_feed_since: feed.map(|f| f.created_at),
    })
}
