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
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::SyncEngine;
use super::error::SyncError;
use super::group_commit::Push;
use super::registry::{
    AppMutation, Code, Ctx, EngineCode, Envelope, MutationStatus, Outcome, SyncApp,
};
use super::wire::{MAX_MUTATION_ID, PushedMutation};
use crate::domain::FieldError;
use crate::domain::hlc::{Hlc, ServerClock, Stamp};
use crate::domain::permissions::Actor;
use crate::entity::{sync_client, sync_mutation};
use crate::persistence;

/// Most mutations one push may carry.
pub const MAX_MUTATIONS: usize = 500;

/// A phone's push, as the engine takes it.
pub struct PushInput<A: SyncApp> {
    pub client_id: Uuid,
    pub schema_version: u32,
    pub mutations: Vec<PushedMutation<A::Mutation>>,
}

pub async fn push<A: SyncApp>(
    engine: &SyncEngine<A>,
    actor: Actor,
    req: PushInput<A>,
) -> Result<Decided<A>, SyncError> {
    super::check_schema::<A>(req.schema_version)?;
    if req.mutations.len() > MAX_MUTATIONS {
        return Err(
            FieldError::new("mutations", format!("at most {MAX_MUTATIONS} per push")).into(),
        );
    }
    let mutations = readable(req.mutations, A::SCHEMA_VERSION)?;
    let mut decided = engine
        .group_commit
        .decide(Push {
            actor,
            client_id: req.client_id,
            mutations,
        })
        .await?;
    // An app speaking an older schema is not told of entities and codes it cannot read.
    for r in &mut decided.results {
        r.downgrade_for(req.schema_version, &engine.tables);
    }
    Ok(decided)
}

/// One mutation's result, as the phone is told it.
pub struct MutationResult<A: SyncApp> {
    pub id: u64,
    pub status: MutationStatus,
    pub code: Option<A::Code>,
    pub message: Option<String>,
    /// The object's state on the server after this mutation (for rejections: as it is now).
    pub data: Option<A::Change>,
}

impl<A: SyncApp> MutationResult<A> {
    /// Leaves out what an app speaking `schema` was not built to read: a change of an entity
    /// newer than it, a code newer than it (the status and message still say what happened).
    pub fn downgrade_for(&mut self, schema: u32, tables: &super::feed::Tables<A>) {
        if self.code.is_some_and(|c| c.since_schema() > schema) {
            self.code = None;
        }
        if let Some(change) = &self.data
            && tables
                .by_name(A::entity_of(change))
                .is_some_and(|t| t.since_schema() > schema)
        {
            self.data = None;
        }
    }
}

impl<A: SyncApp> std::fmt::Debug for MutationResult<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MutationResult")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

/// What a push decided, once it has committed.
pub struct Decided<A: SyncApp> {
    pub results: Vec<MutationResult<A>>,
    pub last_mutation_id: u64,
    /// The newest community version the push wrote, if it wrote any.
    pub version: Option<i64>,
}

impl<A: SyncApp> std::fmt::Debug for Decided<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decided")
            .field("results", &self.results)
            .field("last_mutation_id", &self.last_mutation_id)
            .field("version", &self.version)
            .finish()
    }
}

/// Decides one push inside `txn`, which already holds the community's write lock
/// ([`super::write::lock`]); the caller commits. Everything the push reads, including what
/// earlier pushes in the same transaction wrote, is what it would have seen committed.
pub(super) async fn decide<A: SyncApp>(
    txn: &DatabaseTransaction,
    clock: &ServerClock,
    push: &Push<A>,
) -> Result<Decided<A>, SyncError> {
    let client = bind_client(txn, push.client_id, push.actor.resident_id).await?;
    let mut last = u64::try_from(client.last_mutation_id).unwrap_or_default();
    check_sequence(last, push.mutations.iter().map(Envelope::id))?;

    // The roles as of this push's turn: a push just ahead of it (in this batch, or committed
    // while it waited) may have granted or taken one.
    let mut actor = Actor {
        grants: A::grants_of(txn, push.actor.resident_id).await?,
        ..push.actor.clone()
    };
    let mut version = None;
    let mut results = Vec::with_capacity(push.mutations.len());
    for m in &push.mutations {
        if m.id() <= last {
            results.push(stored_result::<A>(txn, push.client_id, m.id()).await?);
            continue;
        }
        let applied = apply_one::<A>(txn, clock, &actor, push.client_id, m).await?;
        results.push(applied.result);
        last = m.id();
        version = version.max(applied.version);
        // Joining, leaving or a new role changes what the next mutation may do.
        if applied.grants_changed {
            actor = actor_in::<A>(txn, actor.resident_id).await?;
        }
    }
    Ok(Decided {
        results,
        last_mutation_id: last,
        version,
    })
}

/// The actor as `txn` sees them, including its own uncommitted changes.
async fn actor_in<A: SyncApp>(
    txn: &DatabaseTransaction,
    resident_id: Uuid,
) -> Result<Actor, SyncError> {
    let resident = persistence::residents::find_active(txn, resident_id)
        .await?
        .ok_or(SyncError::Unauthorized)?;
    Ok(Actor {
        resident_id: resident.id,
        community_id: resident.community_id,
        grants: A::grants_of(txn, resident_id).await?,
    })
}

/// The pushed mutations, if the server can read every one of them.
fn readable<M>(pushed: Vec<PushedMutation<M>>, schema_version: u32) -> Result<Vec<M>, SyncError> {
    pushed
        .into_iter()
        .map(|m| match m {
            PushedMutation::Known(m) => Ok(*m),
            PushedMutation::Unreadable { id, name, reason }
                if (1..=MAX_MUTATION_ID).contains(&id) =>
            {
                Err(SyncError::InvalidMutation {
                    mutation_id: id,
                    reason: format!("{name:?}: {reason}"),
                    schema_version,
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
fn check_sequence(last: u64, ids: impl IntoIterator<Item = u64>) -> Result<(), SyncError> {
    let mut expected = last + 1;
    let mut previous = None;
    for id in ids {
        if previous.is_some_and(|p| id <= p) {
            return Err(SyncError::MutationGap { expected });
        }
        previous = Some(id);
        if id > last {
            if id != expected {
                return Err(SyncError::MutationGap { expected });
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
) -> Result<sync_client::Model, SyncError> {
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
        return Err(SyncError::ClientNotOwned);
    }
    Ok(client)
}

async fn stored_result<A: SyncApp>(
    conn: &impl ConnectionTrait,
    client: Uuid,
    id: u64,
) -> Result<MutationResult<A>, DbErr> {
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
            code: r.code.as_deref().and_then(A::Code::parse),
            message: r.message,
            data: r
                .data
                .and_then(|d| serde_json::from_str(&d).ok())
                .and_then(|v| A::Change::parse_from_json(Some(v)).ok()),
        },
        // Results are compacted with old tombstones; the mutation was processed all the same.
        None => MutationResult {
            id,
            status: MutationStatus::Applied,
            code: Some(EngineCode::AlreadyProcessed.into()),
            message: Some("processed long ago".into()),
            data: None,
        },
    })
}

/// One new mutation, applied.
struct Applied<A: SyncApp> {
    result: MutationResult<A>,
    /// It may have changed the actor's roles.
    grants_changed: bool,
    version: Option<i64>,
}

/// Applies one new mutation inside the push's transaction.
async fn apply_one<A: SyncApp>(
    txn: &DatabaseTransaction,
    clock: &ServerClock,
    actor: &Actor,
    client: Uuid,
    mutation: &A::Mutation,
) -> Result<Applied<A>, SyncError> {
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
                result: stored_result::<A>(txn, client, id).await?,
                grants_changed: false,
                version: None,
            });
        }
        return Err(SyncError::MutationGap {
            expected: current + 1,
        });
    }

    let now = clock.wall();
    let (name, outcome, grants_changed) = {
        match mutation.hlc().parse::<Hlc>() {
            Err(e) => (
                mutation.name().to_owned(),
                Outcome::<A>::rejected(EngineCode::InvalidMutation, e.to_string(), None),
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
                let mut outcome = mutation.apply(txn, &ctx).await?;
                if let (Some(ahead), MutationStatus::Applied) =
                    (received.clamped_ahead_ms, outcome.status)
                {
                    outcome.code = Some(EngineCode::ClockAdjusted.into());
                    outcome.message = Some(format!(
                        "the phone's clock is {} minutes ahead; the edit was dated by the server instead",
                        ahead / 60_000
                    ));
                }
                (
                    mutation.name().to_owned(),
                    outcome,
                    mutation.changes_roles(),
                )
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
    if let (Some(entry), MutationStatus::Applied) = (&outcome.audit, outcome.status) {
        persistence::audit::record(txn, actor.community_id, actor.resident_id, entry, now).await?;
    }
    Ok(Applied {
        result,
        grants_changed: grants_changed && outcome.status == MutationStatus::Applied,
        version: outcome.version,
    })
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
            Err(SyncError::MutationGap { expected }) => assert_eq!(expected, 4),
            other => panic!("{other:?}"),
        }
        match check_sequence(3, [4, 6]) {
            Err(SyncError::MutationGap { expected }) => assert_eq!(expected, 5),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn out_of_order_or_repeated_ids_ask_for_the_queue_again() {
        for ids in [vec![2, 1], vec![4, 4], vec![4, 5, 5]] {
            match check_sequence(3, ids.clone()) {
                Err(SyncError::MutationGap { expected }) => assert!(expected >= 4, "{ids:?}"),
                other => panic!("{ids:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_unreadable_mutation_is_named() {
        let pushed: [PushedMutation<()>; 1] = [PushedMutation::Unreadable {
            id: 7,
            name: "poster.print".into(),
            reason: "unknown name".into(),
        }];
        match readable(pushed.into(), 1) {
            Err(SyncError::InvalidMutation { mutation_id, .. }) => assert_eq!(mutation_id, 7),
            other => panic!("{other:?}"),
        }
    }
}
