//! The territory capability's wire types: its mutations, the data its changes carry, and the
//! changes themselves. `crate::features` puts them into the app's unions.

use chrono::NaiveDate;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::{change, mutation};

mutation!(
    /// Create a compound, area or building (admins and the president).
    UnitCreateMutation(UnitCreateArgs)
);
mutation!(
    /// Rename a unit (admins and the president).
    UnitRenameMutation(UnitRenameArgs)
);
mutation!(
    /// Delete a unit with nothing under it: no live unit, household or holder (admins and the
    /// president).
    UnitDeleteMutation(TerritoryRef)
);
mutation!(
    /// Create a grid cell (admins and the president).
    CellCreateMutation(CellCreateArgs)
);
mutation!(
    /// Put a building in a grid cell, or take it out (`cell_id` null). A building already in
    /// another cell must be taken out first (admins and the president).
    CellAssignMutation(CellAssignArgs)
);
mutation!(
    /// Add a household (a flat) to a building (admins, the president, and holders keeping the
    /// building's roll).
    HouseholdCreateMutation(HouseholdCreateArgs)
);
mutation!(
    /// Claim one's household: `pending` until a holder over the building confirms or refuses.
    /// A resident holds at most one household at a time.
    ResidencyClaimMutation(ResidencyClaimArgs)
);
mutation!(
    /// Record a resident without a smartphone in a household (holders keeping the building's
    /// roll): verified at once, no account or phone number needed.
    ResidencyRecordMutation(ResidencyRecordArgs)
);
mutation!(
    /// Confirm or refuse a pending claim (the building's leader and the holders above it).
    ResidencyDecideMutation(ResidencyDecideArgs)
);
mutation!(
    /// Move out: the residency ends on `on` and stays as history (the resident, or holders
    /// keeping the building's roll).
    ResidencyMoveOutMutation(ResidencyMoveOutArgs)
);
mutation!(
    /// Appoint a resident to a position over a unit, for a term (admins and the president).
    /// The four elected levels and grid workers have one holder at a time.
    PositionAssignMutation(PositionAssignArgs)
);
mutation!(
    /// End a holding on a day (admins and the president).
    PositionEndMutation(PositionEndArgs)
);
mutation!(
    /// Whether residents of one's unit see one's phone number (the holder only).
    PositionShowPhoneMutation(PositionShowPhoneArgs)
);

/// Names an existing object of the territory.
#[derive(Debug, Clone, Object)]
pub struct TerritoryRef {
    pub id: Uuid,
}

/// A level of the territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum UnitKindWire {
    Compound,
    Area,
    Building,
}

#[derive(Debug, Clone, Object)]
pub struct UnitCreateArgs {
    /// A UUIDv7 the phone generated.
    pub id: Uuid,
    pub kind: UnitKindWire,
    /// None for a compound; a compound for an area; an area or a compound for a building.
    pub parent_id: Option<Uuid>,
    /// 1 to 80 characters, unique among the parent's units of its kind.
    pub name: String,
}

#[derive(Debug, Clone, Object)]
pub struct UnitRenameArgs {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Object)]
pub struct CellCreateArgs {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Object)]
pub struct CellAssignArgs {
    pub building_id: Uuid,
    /// The cell, or null to take the building out of its cell.
    pub cell_id: Option<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct HouseholdCreateArgs {
    pub id: Uuid,
    pub building_id: Uuid,
    /// 單元 (entrance or stairwell), at most 8 characters; empty when the building has one.
    pub entrance: String,
    /// -5 to 99.
    pub floor: i32,
    /// 1 to 16 characters; unique with the entrance in the building.
    pub room: String,
}

/// How a person belongs to a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RelationWire {
    Owner,
    Tenant,
    Family,
}

#[derive(Debug, Clone, Object)]
pub struct ResidencyClaimArgs {
    pub id: Uuid,
    pub household_id: Uuid,
    pub relation: RelationWire,
    /// The name for the roll; the account's name when absent.
    pub name: Option<String>,
    /// `YYYY` or `YYYY-MM-DD` (elections need the voting age); verified with the claim.
    pub born: String,
    /// When the resident moved in; today when absent.
    pub moved_in: Option<NaiveDate>,
    /// The row a holder recorded for the claimant before they had an account (in the same
    /// household, not yet claimed): confirming the claim gives that row the account.
    pub takes_over: Option<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct ResidencyRecordArgs {
    pub id: Uuid,
    pub household_id: Uuid,
    pub relation: RelationWire,
    /// 1 to 40 characters.
    pub name: String,
    /// `YYYY` or `YYYY-MM-DD`.
    pub born: String,
    pub moved_in: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ClaimVerdict {
    Confirm,
    Refuse,
}

#[derive(Debug, Clone, Object)]
pub struct ResidencyDecideArgs {
    pub id: Uuid,
    pub verdict: ClaimVerdict,
}

#[derive(Debug, Clone, Object)]
pub struct ResidencyMoveOutArgs {
    pub id: Uuid,
    /// The last day in the household; today when absent.
    pub on: Option<NaiveDate>,
}

/// A position, as the wire names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum PositionKindWire {
    BuildingLeader,
    AreaLeader,
    BranchPresident,
    President,
    VicePresident,
    Representative,
    GridWorker,
    HelpTeam,
    Mediator,
    ElectionOfficer,
    CompanyLiaison,
}

#[derive(Debug, Clone, Object)]
pub struct PositionAssignArgs {
    pub id: Uuid,
    pub kind: PositionKindWire,
    /// The building, area, compound or grid cell the position is over; null for the
    /// community-wide ones.
    pub unit_id: Option<Uuid>,
    pub resident_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    /// The decision or election it rests on; at most 200 characters.
    pub decision: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct PositionEndArgs {
    pub id: Uuid,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Clone, Object)]
pub struct PositionShowPhoneArgs {
    pub id: Uuid,
    pub show_phone: bool,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct UnitData {
    pub id: Uuid,
    pub kind: UnitKindWire,
    #[oai(skip_serializing_if_is_none)]
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// A building's grid cell.
    #[oai(skip_serializing_if_is_none)]
    pub cell_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct CellData {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct HouseholdData {
    pub id: Uuid,
    pub building_id: Uuid,
    pub entrance: String,
    pub floor: i32,
    pub room: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ResidencyStatus {
    Pending,
    Verified,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct ResidencyData {
    pub id: Uuid,
    pub household_id: Uuid,
    pub building_id: Uuid,
    /// None for a resident recorded without an account.
    #[oai(skip_serializing_if_is_none)]
    pub resident_id: Option<Uuid>,
    pub name: String,
    pub born: String,
    pub relation: RelationWire,
    pub status: ResidencyStatus,
    pub moved_in: NaiveDate,
    #[oai(skip_serializing_if_is_none)]
    pub moved_out: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct PositionData {
    pub id: Uuid,
    pub kind: PositionKindWire,
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    pub resident_id: Uuid,
    pub holder_name: String,
    pub starts_on: NaiveDate,
    #[oai(skip_serializing_if_is_none)]
    pub ends_on: Option<NaiveDate>,
    pub decision: String,
    /// Whether residents of the unit see the holder's number (`GET /api/v1/me/leaders`).
    pub show_phone: bool,
}

change!(
    /// A compound, area or building was created or changed (`put`), or deleted.
    UnitChange(UnitData)
);
change!(
    /// A grid cell was created or changed (`put`), or deleted.
    CellChange(CellData)
);
change!(
    /// A household was added (`put`), or removed.
    HouseholdChange(HouseholdData)
);
change!(
    /// A residency the caller may see was claimed, recorded, decided or ended (`put`), or is
    /// no longer visible (`delete`).
    ResidencyChange(ResidencyData)
);
change!(
    /// A position holding was made or changed (`put`), or removed.
    PositionChange(PositionData)
);

macro_rules! same_names {
    ($wire:ident <=> $domain:path { $($v:ident),* $(,)? }) => {
        impl From<$wire> for $domain {
            fn from(w: $wire) -> Self {
                match w { $($wire::$v => <$domain>::$v),* }
            }
        }
        impl $wire {
            /// The wire form of a stored value.
            pub fn of(d: $domain) -> Option<Self> {
                #[allow(unreachable_patterns)]
                match d { $(<$domain>::$v => Some($wire::$v),)* _ => None }
            }
        }
    };
}

same_names!(UnitKindWire <=> crate::domain::territory::UnitKind { Compound, Area, Building });
same_names!(RelationWire <=> super::rules::Relation { Owner, Tenant, Family });
same_names!(ResidencyStatus <=> super::rules::Status { Pending, Verified, Refused });
same_names!(PositionKindWire <=> crate::domain::territory::PositionKind {
    BuildingLeader, AreaLeader, BranchPresident, President, VicePresident, Representative,
    GridWorker, HelpTeam, Mediator, ElectionOfficer, CompanyLiaison,
});
