//! Reads of the community's schedule for screens that are not offline replicas: groups,
//! series, occurrences in a window with their seat counts, the caller's sign-ups and hours,
//! rosters and hours for leaders, and calendar feeds. Writes go through sync mutations.

use std::collections::{BTreeMap, HashMap};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::calendar;
use super::entity::{
    attendance, calendar_token, membership, occurrence_override, occurrence_tally, series, signup,
    volunteer_group,
};
use super::rules::recurrence::{Window, occurrence_id};
use super::rules::signup::Status;
use super::seats::schedule_of;
use super::wire::{GroupData, MemberRole, SeriesData, SignupData, SignupStatus};
use super::{changes, waitlist_positions};
use crate::auth::bearer::BearerAuth;
use crate::auth::tokens::hash_refresh_token as hash_token;
use crate::domain::FieldError;
use crate::domain::permissions::{self, Action, Actor, Role, Scope, Target};
use crate::entity::resident;
use crate::features::Change;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};
use crate::web::{Core, authorize};

/// The schedule's tag in the API document.
#[derive(Tags)]
pub enum ScheduleTags {
    /// Groups' schedules, sessions, sign-ups and service hours; calendar feeds.
    Schedule,
}

pub struct ScheduleApi;

/// One occurrence of a series, with its override applied and its seat counts.
#[derive(Debug, Object)]
pub struct OccurrenceView {
    pub occurrence_id: Uuid,
    pub series_id: Uuid,
    pub group_id: Uuid,
    pub title: String,
    /// The start the rule gives it (its identity).
    pub original_start: DateTime<Utc>,
    /// When it really starts (moved, if overridden).
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: String,
    /// Absent: unlimited.
    #[oai(skip_serializing_if_is_none)]
    pub capacity: Option<u32>,
    pub cancelled: bool,
    pub note: String,
    pub confirmed: u32,
    pub waitlisted: u32,
    /// The caller's own sign-up, if any.
    #[oai(skip_serializing_if_is_none)]
    pub my_signup: Option<SignupStatus>,
}

/// A member of a group, for its leaders.
#[derive(Debug, Object)]
pub struct RosterEntry {
    pub resident_id: Uuid,
    pub display_name: String,
    pub role: MemberRole,
    /// For the group's leaders only.
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
}

/// Service hours in one month.
#[derive(Debug, Object)]
pub struct HoursEntry {
    /// The volunteer (group totals) or the group (personal totals).
    pub id: Uuid,
    pub name: String,
    pub hours: f64,
    /// Sessions attended.
    pub sessions: u32,
}

/// A secret calendar-feed address.
#[derive(Debug, Object)]
pub struct CalendarFeed {
    /// Keep it secret: anyone with it can read the calendar. Rotating makes a new one.
    pub token: String,
    /// Subscribe to this path on the server (`webcal://host/…` on phones).
    pub path: String,
}

#[derive(ApiResponse)]
pub enum FeedResponse {
    /// An iCalendar document.
    #[oai(status = 200, content_type = "text/calendar; charset=utf-8")]
    Calendar(PlainText<String>),
}

#[derive(ApiResponse)]
pub enum RevokedResponse {
    /// The feed address no longer works.
    #[oai(status = 204)]
    Revoked,
}

fn month_param(month: &str) -> Result<String, ApiError> {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|_| month.to_owned())
        .map_err(|_| FieldError::new("month", "must be a month like 2026-12").into())
}

async fn group_in_community(
    state: &Core,
    actor: &Actor,
    id: Uuid,
) -> Result<volunteer_group::Model, ApiError> {
    match volunteer_group::Entity::find_by_id(id)
        .one(&state.db)
        .await?
    {
        Some(g) if g.deleted_at.is_none() => {
            authorize(
                permissions::decide(actor, Action::ViewGroup, group_target(&g)),
                "group",
            )?;
            Ok(g)
        }
        _ => Err(ApiError::NotFound("group")),
    }
}

/// The caller and a group of their community they lead or administer.
async fn managed_group(
    state: &Core,
    auth: &BearerAuth,
    id: Uuid,
) -> Result<(Actor, volunteer_group::Model), ApiError> {
    let actor = state.actor(&auth.0).await?;
    let group = group_in_community(state, &actor, id).await?;
    authorize(
        permissions::decide(&actor, Action::ManageMembers, group_target(&group)),
        "group",
    )?;
    Ok((actor, group))
}

fn group_target(g: &volunteer_group::Model) -> Target {
    Target::Group {
        id: g.id,
        community_id: g.community_id,
        is_open: g.is_open,
    }
}

fn data<T>(change: Change, pick: impl Fn(Change) -> Option<T>) -> Option<T> {
    pick(change)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ScheduleTags::Schedule")]
impl ScheduleApi {
    /// List groups
    ///
    /// The community's volunteer groups.
    #[oai(path = "/groups", method = "get", operation_id = "list_groups")]
    async fn groups(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<GroupData>>, SIGNED_IN> {
        let groups = volunteer_group::Entity::find()
            .filter(volunteer_group::Column::CommunityId.eq(auth.0.cid))
            .filter(volunteer_group::Column::DeletedAt.is_null())
            .order_by_asc(volunteer_group::Column::Name)
            .all(&state.db)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(
            groups
                .iter()
                .filter_map(|g| {
                    data(changes::group(g), |c| {
                        if let Change::Group(c) = c {
                            c.data
                        } else {
                            None
                        }
                    })
                })
                .collect(),
        ))
    }

    /// List a group's series
    #[oai(
        path = "/groups/:group_id/series",
        method = "get",
        operation_id = "list_group_series"
    )]
    async fn group_series(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        group_id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<SeriesData>>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let group = group_in_community(&state, &actor, group_id.0).await?;
        let list = series::Entity::find()
            .filter(series::Column::GroupId.eq(group.id))
            .filter(series::Column::DeletedAt.is_null())
            .order_by_asc(series::Column::Id)
            .all(&state.db)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(
            list.iter()
                .filter_map(|s| {
                    data(changes::series(s), |c| {
                        if let Change::Series(c) = c {
                            c.data
                        } else {
                            None
                        }
                    })
                })
                .collect(),
        ))
    }

    /// Occurrences in a window
    ///
    /// Every occurrence whose original start falls in the `days` days from `from`, with
    /// overrides applied, seat counts, and the caller's own sign-up. Schedules are expanded
    /// from two years back to three years ahead; a window outside that is empty.
    #[oai(
        path = "/occurrences",
        method = "get",
        operation_id = "list_occurrences"
    )]
    async fn occurrences(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        /// Start of the window.
        from: Query<DateTime<Utc>>,
        /// Length of the window in days, 1 to 92 (default 7).
        #[oai(validator(minimum(value = "1"), maximum(value = "92")))]
        days: Query<Option<u32>>,
        /// Only this group's.
        group_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<Vec<OccurrenceView>>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let window = Window::starting(from.0, days.0.unwrap_or(7));
        Ok(Json(occurrences(&state, &auth, window, group_id.0).await?))
    }

    /// My sign-ups
    ///
    /// The caller's sign-ups, newest first, with waitlist positions.
    #[oai(path = "/me/signups", method = "get", operation_id = "list_my_signups")]
    async fn my_signups(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<SignupData>>, SIGNED_IN> {
        let actor = state.actor(&auth.0).await?;
        let rows = signup::Entity::find()
            .filter(signup::Column::ResidentId.eq(actor.resident_id))
            .order_by_desc(signup::Column::OriginalStart)
            .all(&state.db)
            .await
            .map_err(ApiError::from)?;
        // One query for every waitlist position, not one per sign-up.
        let positions = waitlist_positions(
            &state.db,
            rows.iter()
                .filter(|s| s.status == Status::Waitlisted.as_str())
                .map(|s| s.occurrence_id),
        )
        .await
        .map_err(ApiError::from)?;
        Ok(Json(
            rows.iter()
                .filter_map(
                    |s| match changes::signup(s, positions.get(&s.id).copied(), "", None) {
                        Change::Signup(c) => c.data,
                        _ => None,
                    },
                )
                .collect(),
        ))
    }

    /// A group's roster
    ///
    /// Members and leaders of a group, for its leaders (with phone numbers) and the
    /// community's admins (without).
    #[oai(
        path = "/groups/:group_id/roster",
        method = "get",
        operation_id = "get_group_roster"
    )]
    async fn roster(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        group_id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<RosterEntry>>, { SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND }> {
        let (actor, group) = managed_group(&state, &auth, group_id.0).await?;
        let leads = actor.holds(Role::Leader, Scope::Group(group.id));
        let members = membership::Entity::find()
            .filter(membership::Column::GroupId.eq(group.id))
            .filter(membership::Column::DeletedAt.is_null())
            .all(&state.db)
            .await
            .map_err(ApiError::from)?;
        let people = people(&state, members.iter().map(|m| m.resident_id)).await?;
        let mut out: Vec<RosterEntry> = members
            .iter()
            .filter_map(|m| {
                let p = people.get(&m.resident_id)?;
                Some(RosterEntry {
                    resident_id: m.resident_id,
                    display_name: p.display_name.clone(),
                    role: MemberRole::parse(&m.role),
                    phone: leads.then(|| p.phone.clone()),
                })
            })
            .collect();
        out.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        Ok(Json(out))
    }

    /// A group's service hours
    ///
    /// Hours each volunteer served in a month (`YYYY-MM`, local time), for the group's
    /// leaders and the community's admins.
    #[oai(
        path = "/groups/:group_id/hours",
        method = "get",
        operation_id = "get_group_hours"
    )]
    async fn group_hours(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        group_id: Path<Uuid>,
        /// `YYYY-MM`.
        #[oai(validator(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$"))]
        month: Query<String>,
    ) -> ApiResult<Json<Vec<HoursEntry>>, { SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND }> {
        let (_, group) = managed_group(&state, &auth, group_id.0).await?;
        let month = month_param(&month.0)?;
        let rows = attendance::Entity::find()
            .filter(attendance::Column::GroupId.eq(group.id))
            .filter(attendance::Column::Month.eq(month))
            .filter(attendance::Column::Status.eq("present"))
            .all(&state.db)
            .await
            .map_err(ApiError::from)?;
        let people = people(&state, rows.iter().map(|a| a.resident_id)).await?;
        let totals = total(rows.iter().map(|a| (a.resident_id, a.minutes)));
        Ok(Json(
            totals
                .into_iter()
                .map(|(id, (minutes, sessions))| HoursEntry {
                    id,
                    name: people
                        .get(&id)
                        .map(|p| p.display_name.clone())
                        .unwrap_or_default(),
                    hours: f64::from(minutes) / 60.0,
                    sessions,
                })
                .collect(),
        ))
    }

    /// My service hours
    ///
    /// Hours the caller served in a month (`YYYY-MM`), per group.
    #[oai(path = "/me/hours", method = "get", operation_id = "get_my_hours")]
    async fn my_hours(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        /// `YYYY-MM`.
        #[oai(validator(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$"))]
        month: Query<String>,
    ) -> ApiResult<Json<Vec<HoursEntry>>, { SIGNED_IN | PARAMS }> {
        let month = month_param(&month.0)?;
        let rows = attendance::Entity::find()
            .filter(attendance::Column::ResidentId.eq(auth.0.sub))
            .filter(attendance::Column::Month.eq(month))
            .filter(attendance::Column::Status.eq("present"))
            .all(&state.db)
            .await
            .map_err(ApiError::from)?;
        let groups: HashMap<Uuid, String> = volunteer_group::Entity::find()
            .filter(volunteer_group::Column::CommunityId.eq(auth.0.cid))
            .all(&state.db)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        Ok(Json(
            total(rows.iter().map(|a| (a.group_id, a.minutes)))
                .into_iter()
                .map(|(id, (minutes, sessions))| HoursEntry {
                    id,
                    name: groups.get(&id).cloned().unwrap_or_default(),
                    hours: f64::from(minutes) / 60.0,
                    sessions,
                })
                .collect(),
        ))
    }

    /// Make or rotate my calendar feed
    ///
    /// Returns a new secret feed address; the previous one stops working.
    #[oai(
        path = "/me/calendar-token",
        method = "post",
        operation_id = "rotate_calendar_token"
    )]
    async fn rotate_feed(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<Json<CalendarFeed>, SIGNED_IN> {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let _turn = state.write_gate.turn().await;
        calendar_token::Entity::delete_by_id(auth.0.sub)
            .exec(&state.db)
            .await
            .map_err(ApiError::from)?;
        calendar_token::Entity::insert(calendar_token::ActiveModel {
            resident_id: Set(auth.0.sub),
            token_hash: Set(hash_token(&token)),
            created_at: Set(Utc::now()),
        })
        .exec_without_returning(&state.db)
        .await
        .map_err(ApiError::from)?;
        Ok(Json(CalendarFeed {
            path: format!("/api/v1/calendar/{token}.ics"),
            token,
        }))
    }

    /// Revoke my calendar feed
    #[oai(
        path = "/me/calendar-token",
        method = "delete",
        operation_id = "revoke_calendar_token"
    )]
    async fn revoke_feed(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<RevokedResponse, SIGNED_IN> {
        let _turn = state.write_gate.turn().await;
        calendar_token::Entity::delete_by_id(auth.0.sub)
            .exec(&state.db)
            .await
            .map_err(ApiError::from)?;
        Ok(RevokedResponse::Revoked)
    }

    /// My calendar feed
    ///
    /// The series of the caller's groups and their other confirmed sessions, as iCalendar.
    /// Needs no sign-in: the secret address is the credential.
    #[oai(
        path = "/calendar/:feed",
        method = "get",
        operation_id = "get_personal_calendar"
    )]
    async fn personal_feed(
        &self,
        state: Data<&Core>,
        feed: Path<String>,
    ) -> ApiResult<FeedResponse, { ALWAYS | PARAMS | NOT_FOUND }> {
        let token = feed.0.strip_suffix(".ics").unwrap_or(&feed.0);
        let owner = calendar_token::Entity::find()
            .filter(calendar_token::Column::TokenHash.eq(hash_token(token)))
            .one(&state.db)
            .await
            .map_err(ApiError::from)?
            .ok_or(ApiError::NotFound("calendar"))?;
        Ok(FeedResponse::Calendar(PlainText(
            personal_calendar(&state, owner.resident_id).await?,
        )))
    }

    /// A group's public calendar
    ///
    /// The series of an open group, as iCalendar. Invite-only groups have none.
    #[oai(
        path = "/groups/:group_id/calendar.ics",
        method = "get",
        operation_id = "get_group_calendar"
    )]
    async fn group_feed(
        &self,
        state: Data<&Core>,
        group_id: Path<Uuid>,
    ) -> ApiResult<FeedResponse, { ALWAYS | PARAMS | NOT_FOUND }> {
        let group = match volunteer_group::Entity::find_by_id(group_id.0)
            .one(&state.db)
            .await
            .map_err(ApiError::from)?
        {
            Some(g) if g.is_open && g.deleted_at.is_none() => g,
            _ => return Err(ApiError::NotFound("calendar").into()),
        };
        let events = group_events(&state, std::slice::from_ref(&group)).await?;
        Ok(FeedResponse::Calendar(PlainText(calendar::calendar(
            &group.name,
            events,
        ))))
    }
}

fn total(rows: impl Iterator<Item = (Uuid, i32)>) -> BTreeMap<Uuid, (i32, u32)> {
    let mut out: BTreeMap<Uuid, (i32, u32)> = BTreeMap::new();
    for (id, minutes) in rows {
        let e = out.entry(id).or_default();
        e.0 += minutes;
        e.1 += 1;
    }
    out
}

async fn people(
    state: &Core,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, resident::Model>, ApiError> {
    let ids: Vec<Uuid> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(resident::Entity::find()
        .filter(resident::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

async fn occurrences(
    state: &Core,
    auth: &BearerAuth,
    window: Window,
    group: Option<Uuid>,
) -> Result<Vec<OccurrenceView>, ApiError> {
    let actor = state.actor(&auth.0).await?;
    let mut query = series::Entity::find()
        .filter(series::Column::CommunityId.eq(actor.community_id))
        .filter(series::Column::DeletedAt.is_null());
    if let Some(g) = group {
        group_in_community(state, &actor, g).await?;
        query = query.filter(series::Column::GroupId.eq(g));
    }
    let Some(Window { from, to }) = window.within_horizon(Utc::now()) else {
        return Ok(Vec::new());
    };
    let all_series = query.all(&state.db).await?;
    // Each occurrence borrows its series: the work grows with what is returned.
    let mut found: Vec<(&series::Model, DateTime<Utc>, Uuid)> = Vec::new();
    for s in &all_series {
        if let Some(schedule) = schedule_of(s) {
            for t in schedule.occurrences(from, to) {
                found.push((s, t, occurrence_id(s.id, t)));
            }
        }
    }
    let ids: Vec<Uuid> = found.iter().map(|(_, _, id)| *id).collect();
    let (overrides, tallies, mine) = if ids.is_empty() {
        (HashMap::new(), HashMap::new(), HashMap::new())
    } else {
        let overrides: HashMap<Uuid, occurrence_override::Model> =
            occurrence_override::Entity::find()
                .filter(occurrence_override::Column::Id.is_in(ids.clone()))
                .filter(occurrence_override::Column::DeletedAt.is_null())
                .all(&state.db)
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect();
        let tallies: HashMap<Uuid, occurrence_tally::Model> = occurrence_tally::Entity::find()
            .filter(occurrence_tally::Column::Id.is_in(ids.clone()))
            .filter(occurrence_tally::Column::DeletedAt.is_null())
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mine: HashMap<Uuid, signup::Model> = signup::Entity::find()
            .filter(
                Condition::all()
                    .add(signup::Column::OccurrenceId.is_in(ids))
                    .add(signup::Column::ResidentId.eq(actor.resident_id)),
            )
            .all(&state.db)
            .await?
            .into_iter()
            .map(|s| (s.occurrence_id, s))
            .collect();
        (overrides, tallies, mine)
    };
    let groups: HashMap<Uuid, volunteer_group::Model> = volunteer_group::Entity::find()
        .filter(volunteer_group::Column::CommunityId.eq(actor.community_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let mut out: Vec<OccurrenceView> = found
        .into_iter()
        .map(|(s, original, id)| {
            let o = overrides.get(&id);
            let t = tallies.get(&id);
            let starts_at = o.and_then(|o| o.starts_at).unwrap_or(original);
            let venue = groups
                .get(&s.group_id)
                .map(|g| g.venue.clone())
                .unwrap_or_default();
            OccurrenceView {
                occurrence_id: id,
                series_id: s.id,
                group_id: s.group_id,
                title: s.title.clone(),
                original_start: original,
                starts_at,
                ends_at: starts_at + Duration::minutes(i64::from(s.duration_minutes)),
                location: o.and_then(|o| o.location.clone()).unwrap_or_else(|| {
                    if s.location.is_empty() {
                        venue
                    } else {
                        s.location.clone()
                    }
                }),
                capacity: o
                    .and_then(|o| o.capacity)
                    .or(s.capacity)
                    .map(i32::unsigned_abs),
                cancelled: o.is_some_and(|o| o.cancelled),
                note: o.map(|o| o.note.clone()).unwrap_or_default(),
                confirmed: t.map_or(0, |t| t.confirmed.unsigned_abs()),
                waitlisted: t.map_or(0, |t| t.waitlisted.unsigned_abs()),
                my_signup: mine
                    .get(&id)
                    .map(|m| changes::signup_status(Status::parse(&m.status))),
            }
        })
        .collect();
    out.sort_by_key(|o| (o.starts_at, o.occurrence_id));
    Ok(out)
}

async fn group_events(
    state: &Core,
    groups: &[volunteer_group::Model],
) -> Result<Vec<icalendar::Event>, ApiError> {
    let mut events = Vec::new();
    for g in groups {
        let list = series::Entity::find()
            .filter(series::Column::GroupId.eq(g.id))
            .filter(series::Column::DeletedAt.is_null())
            .all(&state.db)
            .await?;
        for s in list {
            let overrides = occurrence_override::Entity::find()
                .filter(occurrence_override::Column::SeriesId.eq(s.id))
                .filter(occurrence_override::Column::DeletedAt.is_null())
                .all(&state.db)
                .await?;
            events.extend(calendar::series_events(&s, g, &overrides));
        }
    }
    Ok(events)
}

async fn personal_calendar(state: &Core, resident_id: Uuid) -> Result<String, ApiError> {
    let groups: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::ResidentId.eq(resident_id))
        .filter(membership::Column::DeletedAt.is_null())
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| m.group_id)
        .collect();
    let my_groups = if groups.is_empty() {
        Vec::new()
    } else {
        volunteer_group::Entity::find()
            .filter(volunteer_group::Column::Id.is_in(groups.clone()))
            .filter(volunteer_group::Column::DeletedAt.is_null())
            .all(&state.db)
            .await?
    };
    let mut events = group_events(state, &my_groups).await?;
    // Confirmed sessions of groups the resident does not belong to, one by one.
    let confirmed = signup::Entity::find()
        .filter(signup::Column::ResidentId.eq(resident_id))
        .filter(signup::Column::Status.eq(Status::Confirmed.as_str()))
        .all(&state.db)
        .await?;
    for s in confirmed
        .into_iter()
        .filter(|s| !groups.contains(&s.group_id))
    {
        let (Some(series), Some(group)) = (
            series::Entity::find_by_id(s.series_id)
                .one(&state.db)
                .await?,
            volunteer_group::Entity::find_by_id(s.group_id)
                .one(&state.db)
                .await?,
        ) else {
            continue;
        };
        let over = occurrence_override::Entity::find_by_id(s.occurrence_id)
            .one(&state.db)
            .await?
            .filter(|o| o.deleted_at.is_none());
        let begins = over
            .as_ref()
            .and_then(|o| o.starts_at)
            .unwrap_or(s.original_start);
        let location = over.as_ref().and_then(|o| o.location.clone());
        events.push(calendar::session_event(
            s.occurrence_id,
            &series,
            &group,
            begins,
            location.as_deref(),
        ));
    }
    events.extend(crate::features::calendar_events(&state.db, resident_id).await?);
    Ok(calendar::calendar("鄰里 linli", events))
}
