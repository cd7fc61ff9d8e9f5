//! Rows as the changes a pull (or a push result) carries.

use super::entity::{candidate, election, elector, entrustment, paper_entry};
use super::rules::{self, Basis, Conflict, Mode, State, Voted};
use super::wire::*;
use crate::domain::territory::PositionKind;
use crate::features::Change;
use crate::features::territory::wire::PositionKindWire;
use crate::sync::wire::ChangeOp;

fn op(deleted: bool) -> ChangeOp {
    ChangeOp::of(deleted)
}

fn u32_of(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

pub fn election(e: &election::Model) -> Change {
    let position = PositionKind::parse(&e.position_kind).and_then(PositionKindWire::of);
    let state = State::parse(&e.state).map(ElectionState::of);
    let data = match (position, state, e.deleted_at) {
        (Some(position), Some(state), None) => Some(ElectionData {
            id: e.id,
            title: e.title.clone(),
            position,
            unit_id: e.unit_id,
            seats: u32_of(e.seats),
            term_starts_on: e.term_starts_on,
            term_ends_on: e.term_ends_on,
            nominations_close: e.nominations_close,
            voting_opens: e.voting_opens,
            voting_closes: e.voting_closes,
            rules: RulesData {
                basis: match Basis::parse(&e.basis) {
                    Some(Basis::Household) => BasisWire::Household,
                    _ => BasisWire::Person,
                },
                min_age: e.min_age,
                seconders: u32_of(e.seconders),
                max_entrustments: u32_of(e.max_entrustments),
                quorum_pct: u32_of(e.quorum_pct),
                majority_pct: u32_of(e.majority_pct),
                round: u32_of(e.round),
            },
            runoff_of: e.runoff_of,
            state,
            mode: e.mode.as_deref().and_then(Mode::parse).map(|m| match m {
                Mode::Contested => ModeWire::Contested,
                Mode::Uncontested => ModeWire::Uncontested,
            }),
            roll_size: u32_of(e.roll_size),
            roll_hash: e.roll_hash.clone(),
            chain_head: e.chain_head.clone(),
            result: e
                .result
                .as_deref()
                .and_then(|r| serde_json::from_str::<rules::Counted>(r).ok())
                .map(|c| result(&c)),
        }),
        _ => None,
    };
    Change::Election(ElectionChange {
        id: e.id,
        op: op(data.is_none()),
        data,
    })
}

impl ElectionState {
    pub fn of(s: State) -> Self {
        match s {
            State::Nominating => Self::Nominating,
            State::Voting => Self::Voting,
            State::Counting => Self::Counting,
            State::Done => Self::Done,
            State::Failed => Self::Failed,
            State::Cancelled => Self::Cancelled,
        }
    }
}

pub fn candidate(c: &candidate::Model) -> Change {
    Change::Candidate(CandidateChange {
        id: c.id,
        op: op(c.deleted_at.is_some()),
        data: c.deleted_at.is_none().then(|| CandidateData {
            id: c.id,
            election_id: c.election_id,
            resident_id: c.resident_id,
            elector_id: c.elector_id,
            name: c.name.clone(),
            statement: c.statement.clone(),
            by_committee: c.by_committee,
            seconds: u32_of(c.seconds),
            response: match c.response.as_str() {
                "accepted" => ResponseWire::Accepted,
                "declined" => ResponseWire::Declined,
                _ => ResponseWire::Pending,
            },
            standing: c.standing,
        }),
    })
}

pub fn elector(e: &elector::Model) -> Change {
    Change::Elector(ElectorChange {
        id: e.id,
        op: op(e.deleted_at.is_some()),
        data: e.deleted_at.is_none().then(|| ElectorData {
            id: e.id,
            election_id: e.election_id,
            resident_id: e.resident_id,
            name: e.name.clone(),
            place: e.place.clone(),
            voted: e.voted.as_deref().and_then(Voted::parse).map(|v| match v {
                Voted::Phone => VotedWire::Phone,
                Voted::Paper => VotedWire::Paper,
                Voted::ProxyPhone => VotedWire::ProxyPhone,
                Voted::ProxyPaper => VotedWire::ProxyPaper,
            }),
            voted_at: e.voted_at,
            proxy_id: e.proxy_id,
            proxy_name: e.proxy_name.clone(),
            conflict: e
                .conflict
                .as_deref()
                .and_then(Conflict::parse)
                .map(|c| match c {
                    Conflict::PhoneAfterPaper => ConflictWire::PhoneAfterPaper,
                    Conflict::PaperAfterPhone => ConflictWire::PaperAfterPhone,
                }),
        }),
    })
}

pub fn entrustment(t: &entrustment::Model) -> Change {
    Change::Entrustment(EntrustmentChange {
        id: t.id,
        op: op(t.deleted_at.is_some()),
        data: t.deleted_at.is_none().then(|| EntrustmentData {
            id: t.id,
            election_id: t.election_id,
            from_elector_id: t.from_elector_id,
            from_name: t.from_name.clone(),
            to_elector_id: t.to_elector_id,
            document: t.document.clone(),
            used: t.used,
        }),
    })
}

pub fn paper_entry(p: &paper_entry::Model) -> Change {
    let entered: Option<super::polls::Entered> = serde_json::from_str(&p.choices).ok();
    Change::PaperEntry(PaperEntryChange {
        id: p.id,
        op: op(p.deleted_at.is_some() || entered.is_none()),
        data: entered
            .filter(|_| p.deleted_at.is_none())
            .map(|e| PaperEntryData {
                id: p.id,
                election_id: p.election_id,
                sheet: p.sheet.clone(),
                officer_id: p.officer_id,
                marks: marks_of(&e.ballot),
                write_ins: e.ballot.write_ins.iter().copied().collect(),
                spoiled: e.spoiled,
            }),
    })
}

/// A ballot's marks, as the wire shows them.
pub fn marks_of(b: &rules::Ballot) -> Vec<BallotMark> {
    b.marks
        .iter()
        .map(|(c, m)| BallotMark {
            candidate_id: *c,
            mark: match m {
                rules::Mark::For => MarkWire::For,
                rules::Mark::Against => MarkWire::Against,
            },
        })
        .collect()
}

/// A counted election's result, as published.
pub fn result(c: &rules::Counted) -> ResultData {
    let t = &c.tally;
    ResultData {
        roll_size: t.roll_size,
        voted: t.voted,
        ballots_cast: t.ballots_cast,
        blank: t.blank,
        valid: t.valid,
        counts: t
            .counts
            .iter()
            .map(|x| {
                let (candidate_id, elector_id, id) = match x.choice {
                    rules::Choice::Candidate(id) => (Some(id), None, id),
                    rules::Choice::WriteIn(id) => (None, Some(id), id),
                };
                CountData {
                    candidate_id,
                    elector_id,
                    name: c.names.get(&id).cloned().unwrap_or_default(),
                    votes_for: x.votes_for,
                    votes_against: x.votes_against,
                    elected: t.elected.contains(&x.choice),
                    runoff: t.runoff.contains(&x.choice),
                }
            })
            .collect(),
        unfilled: t.unfilled,
    }
}
