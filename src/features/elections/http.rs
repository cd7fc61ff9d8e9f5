//! Reads of elections: the community's elections with their candidates, an election's
//! published roll (names only, to the unit's residents), and its published record (events
//! with their hashes, the shuffled ballots with their receipt codes, the result), which
//! `linli election verify` checks. Writes go through sync mutations.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::{candidate, election, elector};
use super::rules::{self, State};
use super::wire::*;
use super::{changes, count, record, roll, state_of};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::{self, Action, Actor, Target, Verdict};
use crate::features::Change;
use crate::features::territory::roll::open_residency;
use crate::features::territory::rules::Status;
use crate::web::Core;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

/// The elections' tag in the API document.
#[derive(Tags)]
pub enum ElectionTags {
    /// Elections of building leaders, area leaders, branch presidents, the president and
    /// representatives: candidates, the published roll, and each election's verifiable
    /// record.
    Elections,
}

pub struct ElectionsApi;

/// An election with its candidates.
#[derive(Debug, Object)]
pub struct ElectionView {
    pub election: ElectionData,
    pub candidates: Vec<CandidateData>,
}

/// One name on the published roll.
#[derive(Debug, Object)]
pub struct RollName {
    pub elector_id: Uuid,
    pub name: String,
}

/// An election's roll as published when nominations close: names only.
#[derive(Debug, Object)]
pub struct PublishedRoll {
    pub election_id: Uuid,
    /// False until nominations close (then `names` is empty).
    pub frozen: bool,
    #[oai(skip_serializing_if_is_none)]
    pub roll_hash: Option<String>,
    /// In id order: `rules::roll_hash` is computed over `elector_id` and `name`, one per line.
    pub names: Vec<RollName>,
}

/// One event of an election's record.
#[derive(Debug, Clone, Object)]
pub struct RecordEvent {
    pub seq: i32,
    /// `called`, `roll_frozen`, `failed`, `cancelled`, `closed`, `ballot` or `tally`.
    pub kind: String,
    /// The event's JSON, exactly as hashed.
    pub body: String,
    /// SHA-256 over `linli-election-event/1`, the previous hash (64 zeros for the first),
    /// the kind and the body, joined by newlines.
    pub hash: String,
}

/// A counted ballot as published: no voter, no time.
#[derive(Debug, Clone, Object)]
pub struct PublishedBallot {
    /// `phone` or `paper`.
    pub source: String,
    #[oai(skip_serializing_if_is_none)]
    pub receipt: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub nonce: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub sheet: Option<String>,
    pub marks: Vec<BallotMark>,
    pub write_ins: Vec<Uuid>,
}

/// An election's published record: what `linli election verify` recomputes the chain and
/// the tally from.
#[derive(Debug, Clone, Object)]
pub struct ElectionRecord {
    pub election_id: Uuid,
    pub title: String,
    pub state: ElectionState,
    pub chain_head: String,
    pub events: Vec<RecordEvent>,
    /// Once counted: every ballot, in random order (by its random id).
    pub ballots: Vec<PublishedBallot>,
    #[oai(skip_serializing_if_is_none)]
    pub result: Option<ResultData>,
}

impl PublishedBallot {
    pub fn of(p: &rules::Published) -> Self {
        Self {
            source: p.source.clone(),
            receipt: p.receipt.clone(),
            nonce: p.nonce.clone(),
            sheet: p.sheet.clone(),
            marks: changes::marks_of(&p.ballot),
            write_ins: p.ballot.write_ins.iter().copied().collect(),
        }
    }

    /// Back to the form the hash and the tally read.
    pub fn to_published(&self) -> rules::Published {
        rules::Published {
            source: self.source.clone(),
            receipt: self.receipt.clone(),
            nonce: self.nonce.clone(),
            sheet: self.sheet.clone(),
            ballot: rules::Ballot {
                marks: self
                    .marks
                    .iter()
                    .map(|m| {
                        (
                            m.candidate_id,
                            match m.mark {
                                MarkWire::For => rules::Mark::For,
                                MarkWire::Against => rules::Mark::Against,
                            },
                        )
                    })
                    .collect(),
                write_ins: self.write_ins.iter().copied().collect(),
            },
        }
    }
}

fn data(c: Change) -> Option<ElectionData> {
    match c {
        Change::Election(e) => e.data,
        _ => None,
    }
}

fn candidate_data(c: Change) -> Option<CandidateData> {
    match c {
        Change::Candidate(c) => c.data,
        _ => None,
    }
}

async fn find(state: &Core, actor: &Actor, id: Uuid) -> Result<election::Model, ApiError> {
    super::live_election(&state.db, actor, id)
        .await?
        .ok_or(ApiError::NotFound("election"))
}

/// Whether the actor may read the election's published roll: a voter on it, a resident of
/// its unit, the officers, and the committee over the unit.
async fn may_read_roll(state: &Core, actor: &Actor, e: &election::Model) -> Result<bool, ApiError> {
    let community = Target::Community {
        id: actor.community_id,
    };
    if permissions::decide(actor, Action::KeepPolls, community) == Verdict::Allowed
        || permissions::decide(actor, Action::RunElections, community) == Verdict::Allowed
        || roll::entry_of(&state.db, e.id, actor.resident_id)
            .await?
            .is_some()
    {
        return Ok(true);
    }
    let today = crate::features::territory::local_today(chrono::Utc::now());
    let lives_here = open_residency(&state.db, actor.resident_id, today)
        .await?
        .is_some_and(|r| {
            Status::parse(&r.status) == Status::Verified && roll::in_unit(&r, e.unit_id)
        });
    Ok(lives_here)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ElectionTags::Elections")]
impl ElectionsApi {
    /// The community's elections
    ///
    /// Every election of the caller's community, newest first (the same as the synced
    /// `election` rows).
    #[oai(path = "/elections", method = "get", operation_id = "list_elections")]
    async fn list(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<ElectionData>>, SIGNED_IN> {
        let actor = state.actor(&auth.0).await?;
        let rows = election::Entity::find()
            .filter(election::Column::CommunityId.eq(actor.community_id))
            .filter(election::Column::DeletedAt.is_null())
            .order_by_desc(election::Column::VotingOpens)
            .all(&state.db)
            .await?;
        Ok(Json(
            rows.iter()
                .filter_map(|e| data(changes::election(e)))
                .collect(),
        ))
    }

    /// An election and its candidates
    #[oai(
        path = "/elections/:election_id",
        method = "get",
        operation_id = "get_election"
    )]
    async fn get(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        election_id: Path<Uuid>,
    ) -> ApiResult<Json<ElectionView>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let e = find(&state, &actor, election_id.0).await?;
        let candidates = candidate::Entity::find()
            .filter(candidate::Column::ElectionId.eq(e.id))
            .filter(candidate::Column::DeletedAt.is_null())
            .order_by_asc(candidate::Column::Id)
            .all(&state.db)
            .await?;
        Ok(Json(ElectionView {
            election: data(changes::election(&e)).ok_or(ApiError::NotFound("election"))?,
            candidates: candidates
                .iter()
                .filter_map(|c| candidate_data(changes::candidate(c)))
                .collect(),
        }))
    }

    /// An election's published roll
    ///
    /// The names on the roll, frozen when nominations closed, with the roll's hash: for
    /// the voters on it, the residents of the election's unit, the election officers and
    /// the committee. Names only: no household, age or whether they voted.
    #[oai(
        path = "/elections/:election_id/roll",
        method = "get",
        operation_id = "get_election_roll"
    )]
    async fn roll(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        election_id: Path<Uuid>,
    ) -> ApiResult<Json<PublishedRoll>, { SIGNED_IN | PARAMS | FORBIDDEN | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let e = find(&state, &actor, election_id.0).await?;
        if !may_read_roll(&state, &actor, &e).await? {
            return Err(ApiError::Forbidden.into());
        }
        let names = elector::Entity::find()
            .filter(elector::Column::ElectionId.eq(e.id))
            .filter(elector::Column::DeletedAt.is_null())
            .order_by_asc(elector::Column::Id)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|x| RollName {
                elector_id: x.id,
                name: x.name,
            })
            .collect();
        Ok(Json(PublishedRoll {
            election_id: e.id,
            frozen: e.roll_hash.is_some(),
            roll_hash: e.roll_hash.clone(),
            names,
        }))
    }

    /// An election's published record
    ///
    /// Its events with their hashes (the chain's head is on the election), and, once
    /// counted, every ballot in random order with its receipt code, and the result. Save it
    /// and run `linli election verify FILE` to recompute the chain and the tally from it
    /// alone; find your receipt code among the ballots to see yours was counted as cast.
    #[oai(
        path = "/elections/:election_id/record",
        method = "get",
        operation_id = "get_election_record"
    )]
    async fn record(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        election_id: Path<Uuid>,
    ) -> ApiResult<Json<ElectionRecord>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        let e = find(&state, &actor, election_id.0).await?;
        let events = record::events(&state.db, e.id).await?;
        let ballots = if state_of(&e) == State::Done {
            count::published(&state.db, e.id).await?
        } else {
            Vec::new()
        };
        let shown = data(changes::election(&e)).ok_or(ApiError::NotFound("election"))?;
        Ok(Json(ElectionRecord {
            election_id: e.id,
            title: e.title.clone(),
            state: shown.state,
            chain_head: e.chain_head.clone(),
            events: events
                .into_iter()
                .map(|x| RecordEvent {
                    seq: x.seq,
                    kind: x.kind,
                    body: x.body,
                    hash: x.hash,
                })
                .collect(),
            ballots: ballots.iter().map(PublishedBallot::of).collect(),
            result: shown.result,
        }))
    }
}
