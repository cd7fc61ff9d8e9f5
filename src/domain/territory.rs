//! The committee's ground: the kinds of unit the territory is made of, the positions residents
//! hold over them, and a place (where a household is) as the permission rule sees it.
//!
//! These are domain types rather than the territory capability's because the one permission
//! rule (`permissions::decide`) reasons with them, and every later capability (elections,
//! deliberation, grid logs, cases) asks it about places.

use uuid::Uuid;

/// A level of the territory, from the top: compound (小區) → area (片區, optional) → building.
/// Grid cells are a second partition of the buildings, not a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitKind {
    Compound,
    Area,
    Building,
    /// A grid cell (網格): a set of buildings one grid worker covers.
    Cell,
}

impl UnitKind {
    pub const ALL: [Self; 4] = [Self::Compound, Self::Area, Self::Building, Self::Cell];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compound => "compound",
            Self::Area => "area",
            Self::Building => "building",
            Self::Cell => "cell",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a unit of this kind may sit under `parent` (`None`: directly under the
    /// community). The kinds only go down, so the tree can have no cycle.
    pub fn may_sit_under(self, parent: Option<Self>) -> bool {
        matches!(
            (self, parent),
            (Self::Compound, None)
                | (Self::Area, Some(Self::Compound))
                | (Self::Building, Some(Self::Compound | Self::Area))
        )
    }
}

/// A position a resident holds (elected, or appointed), over a unit or the community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PositionKind {
    /// 樓長, over a building.
    BuildingLeader,
    /// 片長, over an area.
    AreaLeader,
    /// 分會長, over a compound.
    BranchPresident,
    /// 會長, over the community.
    President,
    /// 副會長, over the community.
    VicePresident,
    /// 居民代表, over a building or an area.
    Representative,
    /// 網格員, over a grid cell (one per cell).
    GridWorker,
    /// 幫辦團: retired members who carry residents' requests to the mining company.
    HelpTeam,
    /// 調解員.
    Mediator,
    /// Runs elections.
    ElectionOfficer,
    /// A mining company department's contact, for cases.
    CompanyLiaison,
}

impl PositionKind {
    pub const ALL: [Self; 11] = [
        Self::BuildingLeader,
        Self::AreaLeader,
        Self::BranchPresident,
        Self::President,
        Self::VicePresident,
        Self::Representative,
        Self::GridWorker,
        Self::HelpTeam,
        Self::Mediator,
        Self::ElectionOfficer,
        Self::CompanyLiaison,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BuildingLeader => "building_leader",
            Self::AreaLeader => "area_leader",
            Self::BranchPresident => "branch_president",
            Self::President => "president",
            Self::VicePresident => "vice_president",
            Self::Representative => "representative",
            Self::GridWorker => "grid_worker",
            Self::HelpTeam => "help_team",
            Self::Mediator => "mediator",
            Self::ElectionOfficer => "election_officer",
            Self::CompanyLiaison => "company_liaison",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kinds of unit it is held over; empty: over the whole community.
    pub fn held_over(self) -> &'static [UnitKind] {
        match self {
            Self::BuildingLeader => &[UnitKind::Building],
            Self::AreaLeader => &[UnitKind::Area],
            Self::BranchPresident => &[UnitKind::Compound],
            Self::Representative => &[UnitKind::Building, UnitKind::Area],
            Self::GridWorker => &[UnitKind::Cell],
            Self::President
            | Self::VicePresident
            | Self::HelpTeam
            | Self::Mediator
            | Self::ElectionOfficer
            | Self::CompanyLiaison => &[],
        }
    }

    /// One holder at a time over its unit (terms may not overlap): the four elected levels,
    /// and one grid worker per cell (一格一員).
    pub fn single_holder(self) -> bool {
        matches!(
            self,
            Self::BuildingLeader
                | Self::AreaLeader
                | Self::BranchPresident
                | Self::President
                | Self::GridWorker
        )
    }

    /// Whether residents elect it (the others are appointed).
    pub fn elected(self) -> bool {
        matches!(
            self,
            Self::BuildingLeader
                | Self::AreaLeader
                | Self::BranchPresident
                | Self::President
                | Self::VicePresident
                | Self::Representative
        )
    }

    /// Whether it confirms residents' household claims in its unit: the four elected levels
    /// (and the vice president), each over their part of the territory.
    pub fn confirms_claims(self) -> bool {
        matches!(
            self,
            Self::BuildingLeader
                | Self::AreaLeader
                | Self::BranchPresident
                | Self::President
                | Self::VicePresident
        )
    }

    /// Whether it keeps the roll of its unit: records residents without a smartphone, moves
    /// people out, and sees the households' members. The elected levels and grid workers.
    pub fn keeps_the_roll(self) -> bool {
        self.confirms_claims() || self == Self::GridWorker
    }
}

/// Where something is: a household's building and its ancestry and grid cell. What the
/// permission rule needs to know whether a holder's unit covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    pub household: Option<Uuid>,
    pub building: Option<Uuid>,
    pub area: Option<Uuid>,
    pub compound: Option<Uuid>,
    pub cell: Option<Uuid>,
}

impl Place {
    /// Whether a unit with this id is one of the place's (its building, area, compound or
    /// cell).
    pub fn lies_in(&self, unit: Uuid) -> bool {
        [self.building, self.area, self.compound, self.cell]
            .into_iter()
            .flatten()
            .any(|u| u == unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_stored_names() {
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Some(k));
        }
        for p in PositionKind::ALL {
            assert_eq!(PositionKind::parse(p.as_str()), Some(p));
        }
        assert_eq!(PositionKind::parse("mayor"), None);
    }

    #[test]
    fn the_tree_only_goes_down_so_it_has_no_cycle() {
        use UnitKind::*;
        assert!(Compound.may_sit_under(None));
        assert!(Area.may_sit_under(Some(Compound)));
        assert!(Building.may_sit_under(Some(Area)));
        assert!(Building.may_sit_under(Some(Compound)));
        // Everything else: an orphan, a level skipped upwards, a cycle, a cell in the tree.
        for child in UnitKind::ALL {
            for parent in [None, Some(Compound), Some(Area), Some(Building), Some(Cell)] {
                let allowed = child.may_sit_under(parent);
                if let Some(p) = parent {
                    assert!(!allowed || p < child, "{child:?} under {p:?}");
                }
                if child == Cell {
                    assert!(!allowed, "a cell is not in the tree");
                }
            }
        }
    }

    #[test]
    fn the_four_elected_levels_and_grid_workers_are_single_holders() {
        let single: Vec<_> = PositionKind::ALL
            .into_iter()
            .filter(|p| p.single_holder())
            .collect();
        assert_eq!(
            single,
            [
                PositionKind::BuildingLeader,
                PositionKind::AreaLeader,
                PositionKind::BranchPresident,
                PositionKind::President,
                PositionKind::GridWorker
            ]
        );
        // Grid workers keep the roll but do not confirm claims.
        assert!(PositionKind::GridWorker.keeps_the_roll());
        assert!(!PositionKind::GridWorker.confirms_claims());
        assert!(!PositionKind::Mediator.keeps_the_roll());
    }
}
