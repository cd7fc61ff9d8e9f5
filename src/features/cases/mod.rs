//! # Cases: the closed loop (發現 → 上報 → 分派 → 處置 → 反饋 → 考核)
//!
//! The committee handled 200+ affairs in a year. A case comes from a resident's request in
//! the app, a grid worker's log entry that needs follow-up (one step: the entry and the case
//! link to each other), a help-team member (幫辦團) carrying a resident's request to the
//! mining company, or a reception day's intake. It has a category, a place, an urgency tier
//! (red 2 h, yellow 24 h, blue 72 h, per community: its due time) and photos. Its handlers
//! (holders over its place, its grid worker, the president, admins) accept or refuse it,
//! assign it (to a resident, a volunteer group, or a company department through its
//! liaison), it is handled and resolved, and its reporter confirms with a satisfaction
//! rating or reopens it. Every step is on its timeline, which the reporter follows; an
//! overdue case is flagged and escalated to the level above by the clock ([`clock`]); a
//! duplicate is merged into another, its reporter following the survivor from then on.
//!
//! How the pieces fit: [`rules`] (the state machine, tiers, keys; plain functions under unit
//! and property tests, and the model test), [`handling`] (the mutations), [`departments`],
//! [`clock`] (overdue escalation), [`http`] (the register and one case with its timeline),
//! [`entity`], [`wire`].
//!
//! **Who sees what.** A case is its reporter's, and is seen over the keys its row carries
//! ([`rules::bench`] of its cell, building, area and compound: the holders over them;
//! [`rules::office`]: the president and vice president; [`rules::person`] of its assignee
//! (a department's liaison) and of whoever took it; [`rules::group`] of an assigned group:
//! its leaders). A neighbour dispute is confidential: its row carries no place key, the
//! president's own key ([`rules::chair`]) instead of the office's, and is marked
//! `confidential`, so admins do not see it for being admins. The REST reads decide
//! with the same keys ([`sees`]).

pub mod clock;
pub mod departments;
pub mod entity;
pub mod export;
pub mod handling;
pub mod http;
pub mod rules;
pub mod stats;
pub mod wire;

use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use crate::domain::permissions::{Actor, PositionKind, Role, Scope};
use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use entity::{case_file, department};
use wire::*;

/// Feed order within one version, after the grid's: a department before the cases
/// assigned to it.
pub mod rank {
    pub const DEPARTMENT: u8 = 45;
    pub const CASE: u8 = 46;
}

/// The key columns of a case row.
pub const KEYS: &[&str] = &[
    "cell_key",
    "building_key",
    "area_key",
    "compound_key",
    "office_key",
    "assignee_key",
    "intake_key",
];

/// Cases' synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<department::Entity, A>::new(
            "department",
            rank::DEPARTMENT,
            Audience::Public,
            Encode::Each(departments::change),
            |id| Change::Department(DepartmentChange::gone(id)),
        )),
        Box::new(
            Table::<case_file::Entity, A>::new(
                "case",
                rank::CASE,
                Audience::Personal {
                    owner: "reporter_id",
                    over: KEYS,
                },
                Encode::Each(handling::change),
                |id| Change::Case(CaseChange::gone(id)),
            )
            .confidential("confidential"),
        ),
    ]
}

/// The keys case rows are seen over (see the module doc).
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    std::iter::once(rules::person(actor.resident_id)).chain(actor.grants.iter().flat_map(|g| {
        let keys: [Option<Uuid>; 2] = match (g.role, g.scope) {
            (Role::Holds(p), Scope::Unit(u))
                if p.confirms_claims() || p == PositionKind::GridWorker =>
            {
                [Some(rules::bench(u)), None]
            }
            (Role::Holds(PositionKind::President), Scope::Community(c)) => {
                [Some(rules::office(c)), Some(rules::chair(c))]
            }
            (Role::Holds(PositionKind::VicePresident), Scope::Community(c)) => {
                [Some(rules::office(c)), None]
            }
            (Role::Leader, Scope::Group(g)) => [Some(rules::group(g)), None],
            _ => [None, None],
        };
        keys.into_iter().flatten()
    }))
}

/// The keys a case row carries.
pub fn keys_of_row(c: &case_file::Model) -> [Option<Uuid>; 7] {
    [
        c.cell_key,
        c.building_key,
        c.area_key,
        c.compound_key,
        c.office_key,
        c.assignee_key,
        c.intake_key,
    ]
}

/// Whether the actor sees a case (the same answer as the sync feed's).
pub fn sees(actor: &Actor, c: &case_file::Model) -> bool {
    if c.community_id != actor.community_id || c.deleted_at.is_some() {
        return false;
    }
    if c.reporter_id == actor.resident_id
        || (actor.is_admin_of(actor.community_id) && !c.confidential)
    {
        return true;
    }
    let keys = keys_of_row(c);
    sees_over(actor).any(|k| keys.contains(&Some(k)))
}

handlers! {
    DepartmentCreateMutation = "department.create" => departments::create;
    DepartmentUpdateMutation = "department.update" => departments::update;
    CasesConfigureMutation = "cases.configure" => departments::configure;
    CaseReportMutation = "case.report" => handling::report;
    CaseAcceptMutation = "case.accept" => handling::accept;
    CaseRefuseMutation = "case.refuse" => handling::refuse;
    CaseAssignMutation = "case.assign" => handling::assign;
    CaseStartMutation = "case.start" => handling::start;
    CaseResolveMutation = "case.resolve" => handling::resolve;
    CaseConfirmMutation = "case.confirm" => handling::confirm;
    CaseReopenMutation = "case.reopen" => handling::reopen;
    CaseMergeMutation = "case.merge" => handling::merge;
    CaseNoteMutation = "case.note" => handling::note;
    CaseReplyMutation = "case.reply" => handling::reply;
}
