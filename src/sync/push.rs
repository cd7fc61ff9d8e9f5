//! Push: apply a phone's queued mutations, in order, exactly once.
//!
//! The client id is bound to the first resident who pushes with it. Each new mutation runs in
//! its own transaction that (1) advances the client's `last_mutation_id` only from exactly
//! `id - 1`, (2) applies the mutation, and (3) stores its result; all three commit together.
//! Mutations at or below the last processed id are answered from their stored results;
//! a gap is refused with `409 mutation_gap` before anything is applied.
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

use super::mutations::{self, Ctx, Outcome};
use super::wire::{
    Change, MAX_MUTATION_ID, Mutation, MutationCode, MutationResult, MutationStatus, PushRequest,
    PushResponse, PushedMutation,
};
use super::{check_schema, seats, write};
use crate::domain::FieldError;
use crate::domain::hlc::{Hlc, Stamp};
use crate::domain::permissions::Actor;
use crate::entity::{sync_client, sync_mutation};
use crate::http::AppState;
use crate::http::error::ApiError;

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
    let mutations = readable(&req.mutations)?;
    let client = bind_client(&state.db, req.client_id, actor.resident_id).await?;
    let mut last = u64::try_from(client.last_mutation_id).unwrap_or_default();
    check_sequence(last, mutations.iter().map(|m| m.id()))?;

    let mut actor = actor;
    let mut results = Vec::with_capacity(req.mutations.len());
    for m in mutations {
        if m.id() <= last {
            results.push(stored_result(&state.db, req.client_id, m.id()).await?);
            continue;
        }
        let (result, grants_changed) = apply_one(state, &actor, req.client_id, m).await?;
        results.push(result);
        last = m.id();
        // Joining, leaving or a new role changes what the next mutation may do.
        if grants_changed {
            actor = state.actor_by_id(actor.resident_id).await?;
        }
    }
    Ok(PushResponse {
        results,
        last_mutation_id: last,
        server_time: state.clock.now().to_string(),
    })
}

/// The pushed mutations, if the server can read every one of them.
fn readable(pushed: &[PushedMutation]) -> Result<Vec<&Mutation>, ApiError> {
    pushed
        .iter()
        .map(|m| match m {
            PushedMutation::Known(m) => Ok(m.as_ref()),
            PushedMutation::Unreadable { id, name, reason }
                if (1..=MAX_MUTATION_ID).contains(id) =>
            {
                Err(ApiError::InvalidMutation {
                    mutation_id: *id,
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
    db: &sea_orm::DatabaseConnection,
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

/// Applies one new mutation; says whether it may have changed the actor's roles.
async fn apply_one(
    state: &AppState,
    actor: &Actor,
    client: Uuid,
    mutation: &Mutation,
) -> Result<(MutationResult, bool), ApiError> {
    let m = mutation;
    let id = m.id();
    let id_db =
        i64::try_from(id).map_err(|_| FieldError::new("mutations", "ids must fit in 63 bits"))?;
    let txn = write::begin(&state.db).await?;
    let claimed = sync_client::Entity::update_many()
        .col_expr(sync_client::Column::LastMutationId, Expr::value(id_db))
        .filter(sync_client::Column::ClientId.eq(client))
        .filter(sync_client::Column::LastMutationId.eq(id_db - 1))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        // Another push from this client got here first.
        txn.rollback().await?;
        let current = sync_client::Entity::find_by_id(client)
            .one(&state.db)
            .await?;
        let current = current.map_or(0, |c| u64::try_from(c.last_mutation_id).unwrap_or_default());
        if current >= id {
            return Ok((stored_result(&state.db, client, id).await?, false));
        }
        return Err(ApiError::MutationGap {
            expected: current + 1,
        });
    }

    // Decide on what is committed now, and keep it so until this mutation commits.
    write::lock(&txn, actor.community_id).await?;
    let now = Utc::now();
    let (name, outcome, grants_changed) = {
        match mutation.hlc().parse::<Hlc>() {
            Err(e) => (
                mutation.name().to_owned(),
                Outcome::rejected(MutationCode::InvalidMutation, e.to_string(), None),
                false,
            ),
            Ok(hlc) => {
                let received = state.clock.receive(hlc);
                let ctx = Ctx {
                    actor,
                    stamp: Stamp {
                        hlc: received.hlc,
                        client,
                    },
                    now,
                };
                let mut outcome = dispatch(&txn, &ctx, mutation).await?;
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
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    if let Some(version) = outcome.version {
        state.poker.committed(actor.community_id, version);
    }
    Ok((
        result,
        grants_changed && outcome.status == MutationStatus::Applied,
    ))
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
        match readable(&pushed) {
            Err(ApiError::InvalidMutation { mutation_id, .. }) => assert_eq!(mutation_id, 7),
            other => panic!("{other:?}"),
        }
    }
}
