//! Push: apply a phone's queued mutations, in order, exactly once.
//!
//! The client id is bound to the first resident who pushes with it. A push is decided inside
//! a write transaction run by its community's writer ([`super::group_commit`]), which may
//! decide other phones' pushes in the same transaction. For each new mutation the push
//! (1) advances the client's `last_mutation_id` only from exactly `id - 1`, (2) applies the
//! mutation, and (3) stores its result; all three commit together, and the phone is answered
//! only after that commit. Mutations at or below the last processed id are answered from
//! their stored results; a gap is refused with `409 mutation_gap` before anything is applied.
//!
//! A mutation that does not match the schema (an unknown `name`, `args` of the wrong shape)
//! refuses the whole push with `400 invalid_mutation` naming it, before anything is applied:
//! the OpenAPI document promises exactly what is accepted. Everything that *is* readable but
//! can never succeed (forbidden, deleted, full, a malformed clock) is acknowledged as
//! `rejected`, so it never blocks the phone's queue.

use chrono::Utc;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::group_commit::Push;
use super::mutations::{self, Ctx, Outcome};
use super::wire::{
    Change, MAX_MUTATION_ID, Mutation, MutationCode, MutationResult, MutationStatus, PushRequest,
    PushResponse, PushedMutation,
};
use super::{check_schema, seats};
use crate::domain::FieldError;
use crate::domain::hlc::{Hlc, ServerClock, Stamp};
use crate::domain::permissions::Actor;
use crate::entity::{sync_client, sync_mutation};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::persistence;

/// Most mutations one push may carry.
pub const MAX_MUTATIONS: usize = 500;

pub async fn push(
    state: &AppState,
    actor: Actor,
    req: PushRequest,
) -> Result<PushResponse, ApiError> {
    check_schema(req.schema_version)?;
    if req.mutations.len() > MAX_MUTATIONS {
        return Err(
            FieldError::new("mutations", format!("at most {MAX_MUTATIONS} per push")).into(),
        );
    }
    let mutations = readable(req.mutations)?;
    let decided = state
        .group_commit
        .decide(Push {
            actor,
            client_id: req.client_id,
            mutations,
        })
        .await?;
    Ok(PushResponse {
        results: decided.results,
        last_mutation_id: decided.last_mutation_id,
        server_time: state.clock.now().to_string(),
    })
}

/// What a push decided, once it has committed.
#[derive(Debug)]
pub struct Decided {
    pub results: Vec<MutationResult>,
    pub last_mutation_id: u64,
    /// The newest community version the push wrote, if it wrote any.
    pub version: Option<i64>,
}

/// Decides one push inside `txn`, which already holds the community's write lock
/// ([`super::write::lock`]); the caller commits. Everything the push reads, including what
/// earlier pushes in the same transaction wrote, is what it would have seen committed.
pub(super) async fn decide(
    txn: &impl ConnectionTrait,
    clock: &ServerClock,
    push: &Push,
) -> Result<Decided, ApiError> {
    let client = bind_client(txn, push.client_id, push.actor.resident_id).await?;
    let mut last = u64::try_from(client.last_mutation_id).unwrap_or_default();
    check_sequence(last, push.mutations.iter().map(Mutation::id))?;

    let mut actor = push.actor.clone();
    let mut version = None;
    let mut results = Vec::with_capacity(push.mutations.len());
    for m in &push.mutations {
        if m.id() <= last {
            results.push(stored_result(txn, push.client_id, m.id()).await?);
            continue;
        }
        let applied = apply_one(txn, clock, &actor, push.client_id, m).await?;
        results.push(applied.result);
        last = m.id();
        version = version.max(applied.version);
        // Joining, leaving or a new role changes what the next mutation may do.
        if applied.grants_changed {
            actor = actor_in(txn, actor.resident_id).await?;
        }
    }
    Ok(Decided {
        results,
        last_mutation_id: last,
        version,
    })
}

/// The actor as `txn` sees them, including its own uncommitted changes.
async fn actor_in(txn: &impl ConnectionTrait, resident_id: Uuid) -> Result<Actor, ApiError> {
    let resident = persistence::residents::find(txn, resident_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Actor {
        resident_id: resident.id,
        community_id: resident.community_id,
        grants: persistence::roles::grants_of(txn, resident_id).await?,
    })
}

/// The pushed mutations, if the server can read every one of them.
fn readable(pushed: Vec<PushedMutation>) -> Result<Vec<Mutation>, ApiError> {
    pushed
        .into_iter()
        .map(|m| match m {
            PushedMutation::Known(m) => Ok(*m),
            PushedMutation::Unreadable { id, name, reason }
                if (1..=MAX_MUTATION_ID).contains(&id) =>
            {
                Err(ApiError::InvalidMutation {
                    mutation_id: id,
                    reason: format!("{name:?}: {reason}"),
                    field: None,
                })
            }
            PushedMutation::Unreadable { reason, .. } => {
                Err(FieldError::new("mutations", format!("an id is out of range: {reason}")).into())
            }
        })
        .collect()
}

/// Ids must increase; the first new one must be `last + 1`, and new ones must be consecutive.
/// Anything else is answered like a gap: resend the queue from the expected id.
fn check_sequence(last: u64, ids: impl IntoIterator<Item = u64>) -> Result<(), ApiError> {
    let mut expected = last + 1;
    let mut previous = None;
    for id in ids {
        if previous.is_some_and(|p| id <= p) {
            return Err(ApiError::MutationGap { expected });
        }
        previous = Some(id);
        if id > last {
            if id != expected {
                return Err(ApiError::MutationGap { expected });
            }
            expected += 1;
        }
    }
    Ok(())
}

async fn bind_client(
    db: &impl ConnectionTrait,
    client_id: Uuid,
    resident: Uuid,
) -> Result<sync_client::Model, ApiError> {
    sync_client::Entity::insert(sync_client::ActiveModel {
        client_id: Set(client_id),
        resident_id: Set(resident),
        last_mutation_id: Set(0),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(sync_client::Column::ClientId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let client = sync_client::Entity::find_by_id(client_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("sync client {client_id} vanished after insert"))?;
    if client.resident_id != resident {
        return Err(ApiError::ClientNotOwned);
    }
    Ok(client)
}

async fn stored_result(
    conn: &impl ConnectionTrait,
    client: Uuid,
    id: u64,
) -> Result<MutationResult, DbErr> {
    let row = sync_mutation::Entity::find_by_id((client, i64::try_from(id).unwrap_or(i64::MAX)))
        .one(conn)
        .await?;
    Ok(match row {
        Some(r) => MutationResult {
            id,
            status: if r.status == "applied" {
                MutationStatus::Applied
            } else {
                MutationStatus::Rejected
            },
            code: r.code.as_deref().and_then(MutationCode::parse),
            message: r.message,
            data: r
                .data
                .and_then(|d| serde_json::from_str(&d).ok())
                .and_then(|v| Change::parse_from_json(Some(v)).ok()),
        },
        // Results are compacted with old tombstones; the mutation was processed all the same.
        None => MutationResult {
            id,
            status: MutationStatus::Applied,
            code: Some(MutationCode::AlreadyProcessed),
            message: Some("processed long ago".into()),
            data: None,
        },
    })
}

/// One new mutation, applied.
struct Applied {
    result: MutationResult,
    /// It may have changed the actor's roles.
    grants_changed: bool,
    version: Option<i64>,
}

/// Applies one new mutation inside the push's transaction.
async fn apply_one(
    txn: &impl ConnectionTrait,
    clock: &ServerClock,
    actor: &Actor,
    client: Uuid,
    mutation: &Mutation,
) -> Result<Applied, ApiError> {
    let m = mutation;
    let id = m.id();
    let id_db =
        i64::try_from(id).map_err(|_| FieldError::new("mutations", "ids must fit in 63 bits"))?;
    let claimed = sync_client::Entity::update_many()
        .col_expr(sync_client::Column::LastMutationId, Expr::value(id_db))
        .filter(sync_client::Column::ClientId.eq(client))
        .filter(sync_client::Column::LastMutationId.eq(id_db - 1))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        // Another server process decided this client's push first (on PostgreSQL the claim
        // waited for it to commit, and reads committed rows after it).
        let current = sync_client::Entity::find_by_id(client).one(txn).await?;
        let current = current.map_or(0, |c| u64::try_from(c.last_mutation_id).unwrap_or_default());
        if current >= id {
            return Ok(Applied {
                result: stored_result(txn, client, id).await?,
                grants_changed: false,
                version: None,
            });
        }
        return Err(ApiError::MutationGap {
            expected: current + 1,
        });
    }

    let now = Utc::now();
    let (name, outcome, grants_changed) = {
        match mutation.hlc().parse::<Hlc>() {
            Err(e) => (
                mutation.name().to_owned(),
                Outcome::rejected(MutationCode::InvalidMutation, e.to_string(), None),
                false,
            ),
            Ok(hlc) => {
                let received = clock.receive(hlc);
                let ctx = Ctx {
                    actor,
                    stamp: Stamp {
                        hlc: received.hlc,
                        client,
                    },
                    now,
                };
                let mut outcome = dispatch(txn, &ctx, mutation).await?;
                if let (Some(ahead), MutationStatus::Applied) =
                    (received.clamped_ahead_ms, outcome.status)
                {
                    outcome.code = Some(MutationCode::ClockAdjusted);
                    outcome.message = Some(format!(
                        "the phone's clock is {} minutes ahead; the edit was dated by the server instead",
                        ahead / 60_000
                    ));
                }
                let changes_roles = matches!(
                    mutation,
                    Mutation::GroupJoin(_)
                        | Mutation::GroupLeave(_)
                        | Mutation::MemberSetRole(_)
                        | Mutation::GroupDelete(_)
                );
                (mutation.name().to_owned(), outcome, changes_roles)
            }
        }
    };

    let result = MutationResult {
        id,
        status: outcome.status,
        code: outcome.code,
        message: outcome.message.clone(),
        data: outcome.data.clone(),
    };
    sync_mutation::Entity::insert(sync_mutation::ActiveModel {
        client_id: Set(client),
        mutation_id: Set(id_db),
        name: Set(name),
        status: Set(match outcome.status {
            MutationStatus::Applied => "applied".into(),
            MutationStatus::Rejected => "rejected".into(),
        }),
        code: Set(outcome.code.map(|c| c.as_str().to_owned())),
        message: Set(outcome.message),
        data: Set(outcome
            .data
            .as_ref()
            .and_then(ToJSON::to_json)
            .map(|v| v.to_string())),
        processed_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(Applied {
        result,
        grants_changed: grants_changed && outcome.status == MutationStatus::Applied,
        version: outcome.version,
    })
}

async fn dispatch(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    m: &Mutation,
) -> Result<Outcome, DbErr> {
    match m {
        Mutation::GroupCreate(m) => mutations::group_create(conn, ctx, &m.args).await,
        Mutation::GroupUpdate(m) => mutations::group_update(conn, ctx, &m.args).await,
        Mutation::GroupDelete(m) => mutations::group_delete(conn, ctx, &m.args).await,
        Mutation::GroupJoin(m) => mutations::group_join(conn, ctx, &m.args).await,
        Mutation::GroupLeave(m) => mutations::group_leave(conn, ctx, &m.args).await,
        Mutation::MemberSetRole(m) => mutations::member_set_role(conn, ctx, &m.args).await,
        Mutation::SeriesCreate(m) => mutations::series_create(conn, ctx, &m.args).await,
        Mutation::SeriesUpdate(m) => mutations::series_update(conn, ctx, &m.args).await,
        Mutation::SeriesDelete(m) => mutations::series_delete(conn, ctx, &m.args).await,
        Mutation::OccurrenceOverride(m) => seats::override_occurrence(conn, ctx, &m.args).await,
        Mutation::OccurrenceClearOverride(m) => seats::clear_override(conn, ctx, &m.args).await,
        Mutation::SignupRequest(m) => seats::request(conn, ctx, &m.args).await,
        Mutation::SignupCancel(m) => seats::cancel(conn, ctx, &m.args).await,
        Mutation::AttendanceMark(m) => seats::mark_attendance(conn, ctx, &m.args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_then_the_next_id_are_in_sequence() {
        assert!(check_sequence(3, [2, 3, 4, 5]).is_ok());
        assert!(check_sequence(0, []).is_ok());
    }

    #[test]
    fn a_gap_names_the_expected_id() {
        match check_sequence(3, [5]) {
            Err(ApiError::MutationGap { expected }) => assert_eq!(expected, 4),
            other => panic!("{other:?}"),
        }
        match check_sequence(3, [4, 6]) {
            Err(ApiError::MutationGap { expected }) => assert_eq!(expected, 5),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn out_of_order_or_repeated_ids_ask_for_the_queue_again() {
        for ids in [vec![2, 1], vec![4, 4], vec![4, 5, 5]] {
            match check_sequence(3, ids.clone()) {
                Err(ApiError::MutationGap { expected }) => assert!(expected >= 4, "{ids:?}"),
                other => panic!("{ids:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_unreadable_mutation_is_named() {
        let pushed = [PushedMutation::Unreadable {
            id: 7,
            name: "poster.print".into(),
            reason: "unknown name".into(),
        }];
        match readable(pushed.into()) {
            Err(ApiError::InvalidMutation { mutation_id, .. }) => assert_eq!(mutation_id, 7),
            other => panic!("{other:?}"),
        }
    }
}
