//! # Mediation of neighbour disputes (鄰裏糾紛調解)
//!
//! The committee mediated 80+ disputes in a year. A dispute is a case of category
//! `dispute`; the president opens its mediation with its parties (residents, or people
//! named who are not) and one to three mediators (holders of the mediator position). The
//! mediators record sessions, write the agreement (調解協議: the parties, the facts, what is
//! agreed, how and when), which every party confirms (in the app, or on paper as recorded by
//! a mediator), close it (agreed, failed, withdrawn) and record follow-up visits. Closing
//! resolves the dispute case with the outcome alone.
//!
//! **Confidential.** The People's Mediation Law (art. 15) keeps the parties' affairs from
//! everyone but the parties, the mediators and, here, the president. The record
//! (`entity::mediation`) is never synced; each of those readers gets a copy of their own
//! (`entity::mediation_copy`, [`copy_id`]), declared to the engine as
//! [`Audience::Private`]: seen by its reader alone, admins included. The dispute's case row
//! carries none of the place keys (see `features::cases`), and statistics read only the
//! outcome. The REST reads serve the caller's own copy.
//!
//! How the pieces fit: [`wire`], [`mediate`] (the mutations and [`mediate::publish`], which
//! writes the copies), [`http`], [`entity`].

pub mod entity;
pub mod http;
pub mod mediate;
pub mod wire;

use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use entity::mediation_copy;
use wire::*;

/// Feed order within one version, after the cases'.
pub mod rank {
    pub const MEDIATION: u8 = 47;
}

/// The id of `reader`'s copy of the mediation of `case`.
pub fn copy_id(case: Uuid, reader: Uuid) -> Uuid {
    Uuid::new_v5(&case, reader.as_bytes())
}

/// Mediation's synced table.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![Box::new(Table::<mediation_copy::Entity, A>::new(
        "mediation",
        rank::MEDIATION,
        Audience::Private { owner: "reader_id" },
        Encode::Each(mediate::change),
        |id| Change::Mediation(MediationChange::gone(id)),
    ))]
}

handlers! {
    MediationOpenMutation = "mediation.open" => mediate::open;
    MediationSessionMutation = "mediation.session" => mediate::session;
    MediationAgreeMutation = "mediation.agree" => mediate::agree;
    MediationConfirmMutation = "mediation.confirm" => mediate::confirm;
    MediationFollowUpMutation = "mediation.follow_up" => mediate::follow_up;
    MediationCloseMutation = "mediation.close" => mediate::close;
}
