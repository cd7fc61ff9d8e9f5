//! Who may do what to which object. Handlers build an [`Actor`] from the access token and the
//! resident's role rows, name the [`Action`] and the [`Target`], and ask [`decide`]; no handler
//! checks roles by itself.
//!
//! Objects in another community are [`Verdict::Invisible`] (answered as `404`): a resident
//! must not even learn that they exist. Objects in one's own community that one may not touch
//! are [`Verdict::Forbidden`] (`403`).
//!
//! Positions follow the territory: a building leader acts in their building, an area leader
//! in the area's buildings, a branch president in the compound, a grid worker in the cell's
//! buildings, the president and vice president everywhere. A place carries its building's
//! ancestry ([`Place`]), so the rule needs no database to say whether a unit covers it.

use uuid::Uuid;

pub use super::territory::{Place, PositionKind};

/// A role, always held on a scope (see [`Scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Runs a community: its residents, groups and roles.
    Admin,
    /// Leads a volunteer group: its schedules and roster.
    Leader,
    /// Belongs to a volunteer group.
    Member,
    /// Holds a position (over a unit, or the community) for a term that covers today.
    Holds(PositionKind),
    /// Lives in a household (a verified residency).
    Householder,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::Member => "member",
            Role::Holds(position) => position.as_str(),
            Role::Householder => "householder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "leader" => Some(Role::Leader),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// What a role is held on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Community(Uuid),
    Group(Uuid),
    /// A building, area, compound or grid cell.
    Unit(Uuid),
    Household(Uuid),
}

impl Scope {
    pub fn kind(self) -> &'static str {
        match self {
            Scope::Community(_) => "community",
            Scope::Group(_) => "group",
            Scope::Unit(_) => "unit",
            Scope::Household(_) => "household",
        }
    }

    pub fn id(self) -> Uuid {
        match self {
            Scope::Community(id) | Scope::Group(id) | Scope::Unit(id) | Scope::Household(id) => id,
        }
    }

    pub fn parse(kind: &str, id: Uuid) -> Option<Self> {
        match kind {
            "community" => Some(Scope::Community(id)),
            "group" => Some(Scope::Group(id)),
            "unit" => Some(Scope::Unit(id)),
            "household" => Some(Scope::Household(id)),
            _ => None,
        }
    }
}

/// One role row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
}

/// The resident making a request, with the roles they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub resident_id: Uuid,
    pub community_id: Uuid,
    pub grants: Vec<Grant>,
}

impl Actor {
    pub fn holds(&self, role: Role, scope: Scope) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.scope == scope)
    }

    pub fn is_admin_of(&self, community_id: Uuid) -> bool {
        self.community_id == community_id && self.holds(Role::Admin, Scope::Community(community_id))
    }

    /// Whether the actor holds a position that `may` over `place`: community-wide, or over
    /// one of the place's units.
    fn holds_over(&self, place: &Place, may: impl Fn(PositionKind) -> bool) -> bool {
        self.grants.iter().any(|g| match (g.role, g.scope) {
            (Role::Holds(p), Scope::Community(c)) => may(p) && c == self.community_id,
            (Role::Holds(p), Scope::Unit(u)) => may(p) && place.lies_in(u),
            _ => false,
        })
    }

    /// The president (or an admin): runs the territory and appoints.
    fn runs_the_community(&self, community: Uuid) -> bool {
        self.is_admin_of(community)
            || self.holds(
                Role::Holds(PositionKind::President),
                Scope::Community(community),
            )
    }
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read a resident's profile (name, phone, roles).
    ViewResident,
    /// List the residents of a community.
    ListResidents,
    /// Grant or revoke roles within a community.
    ManageRoles,
    /// Read the community's audit log of privileged actions.
    ReadAudit,
    /// Create a volunteer group in a community.
    CreateGroup,
    /// Change a group's name, description, venue or openness.
    EditGroup,
    /// Delete a group with its schedule and memberships.
    DeleteGroup,
    /// See a group and its schedule (every resident of its community: groups recruit).
    ViewGroup,
    /// Join a group oneself.
    JoinGroup,
    /// Leave a group oneself (always one's own right).
    LeaveGroup,
    /// Sign oneself up for a group's session.
    SignUp,
    /// Create, rename or delete units and grid cells, and add households anywhere.
    ManageTerritory,
    /// Appoint residents to positions and end holdings.
    AppointPositions,
    /// Confirm or refuse residents' household claims at a place.
    ConfirmClaim,
    /// Keep a place's roll: see its households' members, record residents without a
    /// smartphone, add households, move people out.
    KeepRoll,
    /// Call an election, or cancel one before its votes are counted.
    RunElections,
    /// Nominate a candidate in the committee's name (no seconders needed), for an election
    /// over a place (or the community).
    NominateForCommittee,
    /// Keep the polls: mark paper voters on the roll, record entrustments, enter paper
    /// ballots and count (election officers, and admins).
    KeepPolls,
    /// Deliberate for a place (or the community): convene its meetings, put its topics on
    /// the agenda or refer them up, hide comments, assign tasks and report back (the
    /// committee over the place, and admins and the president everywhere).
    Convene,
    /// Post announcements to a place (the committee over it; admins, the president and vice
    /// president everywhere), to the whole community (admins, the president and vice
    /// president), or to a group (its leaders, admins); and withdraw them.
    Announce,
    /// Start and run a crowdfunding campaign (微愛眾籌) for a place or the community: the
    /// same people as may announce there.
    Organise,
    /// Keep a grid cell's daily log (its grid worker, and only they: the log is theirs).
    KeepGridLog,
    /// Handle a place's cases: accept or refuse them, assign, merge, resolve (the committee
    /// and the grid worker over the place; admins and the president everywhere; a case with
    /// no place, or a dispute, is the president's).
    HandleCases,
    /// Report a case on a resident's behalf (the help team, grid workers, the committee,
    /// admins).
    TakeIntake,
    /// Add or remove other residents, or change their role, in a group.
    ManageMembers,
    /// Create, change or delete a group's schedule series.
    ManageSeries,
}

/// The object acted on, with the facts the decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Community {
        id: Uuid,
    },
    Resident {
        id: Uuid,
        community_id: Uuid,
    },
    Group {
        id: Uuid,
        community_id: Uuid,
        is_open: bool,
    },
    /// A household, or a building (with `household` empty), where it lies.
    Place {
        community_id: Uuid,
        place: Place,
    },
}

impl Target {
    fn community_id(self) -> Uuid {
        match self {
            Target::Community { id } => id,
            Target::Resident { community_id, .. }
            | Target::Group { community_id, .. }
            | Target::Place { community_id, .. } => community_id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// In the actor's community, but not theirs to touch: `403`.
    Forbidden,
    /// Outside the actor's community: answered as if it did not exist (`404`).
    Invisible,
}

/// The single permission rule of linli.
pub fn decide(actor: &Actor, action: Action, target: Target) -> Verdict {
    let community = target.community_id();
    if community != actor.community_id {
        return Verdict::Invisible;
    }
    let allowed = match (action, target) {
        (Action::ViewResident, Target::Resident { id, .. }) => {
            id == actor.resident_id || actor.is_admin_of(community)
        }
        (
            Action::ListResidents | Action::ManageRoles | Action::ReadAudit | Action::CreateGroup,
            Target::Community { .. },
        ) => actor.is_admin_of(community),
        (Action::DeleteGroup, Target::Group { .. }) => actor.is_admin_of(community),
        // Group leaders run their group; community admins run all groups.
        (
            Action::EditGroup | Action::ManageMembers | Action::ManageSeries,
            Target::Group { id, .. },
        ) => actor.is_admin_of(community) || actor.holds(Role::Leader, Scope::Group(id)),
        (Action::JoinGroup, Target::Group { id, is_open, .. }) => {
            is_open || actor.is_admin_of(community) || actor.holds(Role::Leader, Scope::Group(id))
        }
        (Action::ViewGroup | Action::LeaveGroup, Target::Group { .. }) => true,
        // An invite-only group's sessions are for its members.
        (Action::SignUp, Target::Group { id, is_open, .. }) => {
            is_open
                || actor.is_admin_of(community)
                || actor.holds(Role::Leader, Scope::Group(id))
                || actor.holds(Role::Member, Scope::Group(id))
        }
        (Action::ManageTerritory | Action::AppointPositions, Target::Community { .. }) => {
            actor.runs_the_community(community)
        }
        (Action::RunElections, Target::Community { .. }) => actor.runs_the_community(community),
        (Action::KeepPolls, Target::Community { .. }) => {
            actor.is_admin_of(community)
                || actor.holds(
                    Role::Holds(PositionKind::ElectionOfficer),
                    Scope::Community(community),
                )
        }
        (Action::NominateForCommittee, Target::Community { .. }) => {
            actor.runs_the_community(community)
        }
        (Action::NominateForCommittee, Target::Place { place, .. }) => {
            actor.runs_the_community(community)
                || actor.holds_over(&place, PositionKind::confirms_claims)
        }
        (Action::Convene, Target::Community { .. }) => actor.runs_the_community(community),
        (Action::Convene, Target::Place { place, .. }) => {
            actor.runs_the_community(community)
                || actor.holds_over(&place, PositionKind::confirms_claims)
        }
        (Action::Announce | Action::Organise, Target::Community { .. }) => {
            actor.runs_the_community(community)
                || actor.holds(
                    Role::Holds(PositionKind::VicePresident),
                    Scope::Community(community),
                )
        }
        (Action::Announce | Action::Organise, Target::Place { place, .. }) => {
            actor.runs_the_community(community)
                || actor.holds_over(&place, PositionKind::confirms_claims)
        }
        (Action::Announce, Target::Group { id, .. }) => {
            actor.is_admin_of(community) || actor.holds(Role::Leader, Scope::Group(id))
        }
        (Action::HandleCases, Target::Community { .. }) => actor.runs_the_community(community),
        (Action::HandleCases, Target::Place { place, .. }) => {
            actor.runs_the_community(community)
                || actor.holds_over(&place, |p| {
                    p.confirms_claims() || p == PositionKind::GridWorker
                })
        }
        (Action::TakeIntake, Target::Community { .. }) => {
            actor.is_admin_of(community)
                || actor.grants.iter().any(|g| match g.role {
                    Role::Holds(p) => {
                        p.confirms_claims()
                            || matches!(p, PositionKind::HelpTeam | PositionKind::GridWorker)
                    }
                    _ => false,
                })
        }
        (Action::KeepGridLog, Target::Place { place, .. }) => {
            actor.holds_over(&place, |p| p == PositionKind::GridWorker)
        }
        (Action::ConfirmClaim, Target::Place { place, .. }) => {
            actor.runs_the_community(community)
                || actor.holds_over(&place, PositionKind::confirms_claims)
        }
        (Action::KeepRoll, Target::Place { place, .. }) => {
            actor.runs_the_community(community)
                || actor.holds_over(&place, PositionKind::keeps_the_roll)
        }
        // An action named on the wrong kind of object is a programming error: refuse it.
        _ => false,
    };
    if allowed {
        Verdict::Allowed
    } else {
        Verdict::Forbidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident(community: Uuid) -> Actor {
        Actor {
            resident_id: Uuid::new_v4(),
            community_id: community,
            grants: vec![],
        }
    }

    fn admin(community: Uuid) -> Actor {
        let mut a = resident(community);
        a.grants.push(Grant {
            role: Role::Admin,
            scope: Scope::Community(community),
        });
        a
    }

    #[test]
    fn residents_see_themselves_but_not_their_neighbours() {
        let c = Uuid::new_v4();
        let me = resident(c);
        let own = Target::Resident {
            id: me.resident_id,
            community_id: c,
        };
        let neighbour = Target::Resident {
            id: Uuid::new_v4(),
            community_id: c,
        };
        assert_eq!(decide(&me, Action::ViewResident, own), Verdict::Allowed);
        assert_eq!(
            decide(&me, Action::ViewResident, neighbour),
            Verdict::Forbidden
        );
        assert_eq!(
            decide(&me, Action::ListResidents, Target::Community { id: c }),
            Verdict::Forbidden
        );
    }

    #[test]
    fn admins_manage_their_own_community_only() {
        let c = Uuid::new_v4();
        let other = Uuid::new_v4();
        let a = admin(c);
        assert_eq!(
            decide(&a, Action::ListResidents, Target::Community { id: c }),
            Verdict::Allowed
        );
        assert_eq!(
            decide(&a, Action::ManageRoles, Target::Community { id: c }),
            Verdict::Allowed
        );
        let neighbour = Target::Resident {
            id: Uuid::new_v4(),
            community_id: c,
        };
        assert_eq!(
            decide(&a, Action::ViewResident, neighbour),
            Verdict::Allowed
        );
        assert_eq!(
            decide(&a, Action::ListResidents, Target::Community { id: other }),
            Verdict::Invisible
        );
        let stranger = Target::Resident {
            id: Uuid::new_v4(),
            community_id: other,
        };
        assert_eq!(
            decide(&a, Action::ViewResident, stranger),
            Verdict::Invisible
        );
    }

    #[test]
    fn an_admin_grant_on_another_community_gives_nothing_here() {
        let c = Uuid::new_v4();
        let other = Uuid::new_v4();
        let mut a = resident(c);
        a.grants.push(Grant {
            role: Role::Admin,
            scope: Scope::Community(other),
        });
        assert_eq!(
            decide(&a, Action::ListResidents, Target::Community { id: c }),
            Verdict::Forbidden
        );
        // Even holding that grant, the other community stays invisible: tenancy comes first.
        assert_eq!(
            decide(&a, Action::ListResidents, Target::Community { id: other }),
            Verdict::Invisible
        );
    }

    #[test]
    fn group_roles_do_not_make_a_community_admin() {
        let c = Uuid::new_v4();
        let mut leader = resident(c);
        leader.grants.push(Grant {
            role: Role::Leader,
            scope: Scope::Group(Uuid::new_v4()),
        });
        assert_eq!(
            decide(&leader, Action::ManageRoles, Target::Community { id: c }),
            Verdict::Forbidden
        );
    }

    #[test]
    fn leaders_run_their_own_group_and_admins_run_all() {
        let c = Uuid::new_v4();
        let (choir, dance) = (Uuid::new_v4(), Uuid::new_v4());
        let mut leader = resident(c);
        leader.grants.push(Grant {
            role: Role::Leader,
            scope: Scope::Group(choir),
        });
        let choir_t = Target::Group {
            id: choir,
            community_id: c,
            is_open: false,
        };
        let dance_t = Target::Group {
            id: dance,
            community_id: c,
            is_open: false,
        };
        for action in [
            Action::EditGroup,
            Action::ManageMembers,
            Action::ManageSeries,
            Action::JoinGroup,
        ] {
            assert_eq!(
                decide(&leader, action, choir_t),
                Verdict::Allowed,
                "{action:?}"
            );
            assert_eq!(
                decide(&leader, action, dance_t),
                Verdict::Forbidden,
                "{action:?}"
            );
            assert_eq!(
                decide(&admin(c), action, dance_t),
                Verdict::Allowed,
                "{action:?}"
            );
        }
        assert_eq!(
            decide(&leader, Action::DeleteGroup, choir_t),
            Verdict::Forbidden
        );
        assert_eq!(
            decide(&admin(c), Action::DeleteGroup, choir_t),
            Verdict::Allowed
        );
        assert_eq!(
            decide(&leader, Action::CreateGroup, Target::Community { id: c }),
            Verdict::Forbidden
        );
    }

    #[test]
    fn anyone_joins_an_open_group_but_an_invite_only_one_needs_its_leader() {
        let c = Uuid::new_v4();
        let me = resident(c);
        let open = Target::Group {
            id: Uuid::new_v4(),
            community_id: c,
            is_open: true,
        };
        let invite_only = Target::Group {
            id: Uuid::new_v4(),
            community_id: c,
            is_open: false,
        };
        assert_eq!(decide(&me, Action::JoinGroup, open), Verdict::Allowed);
        assert_eq!(
            decide(&me, Action::JoinGroup, invite_only),
            Verdict::Forbidden
        );
        let elsewhere = Target::Group {
            id: Uuid::new_v4(),
            community_id: Uuid::new_v4(),
            is_open: true,
        };
        assert_eq!(
            decide(&me, Action::JoinGroup, elsewhere),
            Verdict::Invisible
        );
    }

    #[test]
    fn members_sign_up_for_their_invite_only_group_and_anyone_sees_and_leaves_groups() {
        let c = Uuid::new_v4();
        let group = Uuid::new_v4();
        let invite_only = Target::Group {
            id: group,
            community_id: c,
            is_open: false,
        };
        let mut member = resident(c);
        member.grants.push(Grant {
            role: Role::Member,
            scope: Scope::Group(group),
        });
        let stranger = resident(c);
        assert_eq!(
            decide(&member, Action::SignUp, invite_only),
            Verdict::Allowed
        );
        assert_eq!(
            decide(&stranger, Action::SignUp, invite_only),
            Verdict::Forbidden
        );
        // A member still may not add others: that is the leader's.
        assert_eq!(
            decide(&member, Action::ManageMembers, invite_only),
            Verdict::Forbidden
        );
        for action in [Action::ViewGroup, Action::LeaveGroup] {
            assert_eq!(decide(&stranger, action, invite_only), Verdict::Allowed);
            let elsewhere = Target::Group {
                id: group,
                community_id: Uuid::new_v4(),
                is_open: true,
            };
            assert_eq!(decide(&stranger, action, elsewhere), Verdict::Invisible);
        }
    }

    /// What each position may do inside its unit: the README's table, written out here
    /// rather than derived, so the rule is held to it.
    const POWERS: [(PositionKind, bool, bool, bool); 11] = [
        // (position, confirms claims, keeps the roll, runs the territory and appoints)
        (PositionKind::BuildingLeader, true, true, false),
        (PositionKind::AreaLeader, true, true, false),
        (PositionKind::BranchPresident, true, true, false),
        (PositionKind::President, true, true, true),
        (PositionKind::VicePresident, true, true, false),
        (PositionKind::Representative, false, false, false),
        (PositionKind::GridWorker, false, true, false),
        (PositionKind::HelpTeam, false, false, false),
        (PositionKind::Mediator, false, false, false),
        (PositionKind::ElectionOfficer, false, false, false),
        (PositionKind::CompanyLiaison, false, false, false),
    ];

    /// Every action × every position × every unit it can be held over × every building,
    /// inside its unit or not: generated over a small territory, whose layout says what is
    /// inside what.
    #[test]
    fn positions_act_inside_their_unit_only_for_every_action_position_and_place() {
        use crate::domain::territory::UnitKind;
        let c = Uuid::new_v4();
        let id = |_: &str| Uuid::new_v4();
        // Compound one (with area east: building 1 in cell one; building 2 directly in the
        // compound, in no cell) and compound two (building 3 in cell two).
        let (one, two, east, cell_one, cell_two) = (
            id("one"),
            id("two"),
            id("east"),
            id("cell one"),
            id("cell two"),
        );
        let buildings = [
            (id("b1"), Some(east), one, Some(cell_one)),
            (id("b2"), None, one, None),
            (id("b3"), None, two, Some(cell_two)),
        ];
        let units = [
            (UnitKind::Compound, one),
            (UnitKind::Compound, two),
            (UnitKind::Area, east),
            (UnitKind::Building, buildings[0].0),
            (UnitKind::Building, buildings[1].0),
            (UnitKind::Building, buildings[2].0),
            (UnitKind::Cell, cell_one),
            (UnitKind::Cell, cell_two),
        ];
        let mut cases = 0;
        for (position, confirms, keeps, runs) in POWERS {
            // Where it can be held: each unit of its kinds, or the community.
            let holdings: Vec<Option<Uuid>> = if position.held_over().is_empty() {
                vec![None]
            } else {
                units
                    .iter()
                    .filter(|(k, _)| position.held_over().contains(k))
                    .map(|(_, u)| Some(*u))
                    .collect()
            };
            for unit in holdings {
                let mut actor = resident(c);
                actor.grants.push(Grant {
                    role: Role::Holds(position),
                    scope: unit.map_or(Scope::Community(c), Scope::Unit),
                });
                for (building, area, compound, cell) in buildings {
                    let inside = unit.is_none_or(|u| {
                        u == building || Some(u) == area || u == compound || Some(u) == cell
                    });
                    let place = Target::Place {
                        community_id: c,
                        place: Place {
                            household: Some(Uuid::new_v4()),
                            building: Some(building),
                            area,
                            compound: Some(compound),
                            cell,
                        },
                    };
                    for (action, may) in [
                        (Action::ConfirmClaim, confirms && inside),
                        (Action::KeepRoll, keeps && inside),
                        // The committee nominates in an election over its part.
                        (Action::NominateForCommittee, confirms && inside),
                        // The committee deliberates for its part.
                        (Action::Convene, confirms && inside),
                        // And posts announcements there, and runs campaigns.
                        (Action::Announce, confirms && inside),
                        (Action::Organise, confirms && inside),
                        // A grid worker keeps their cell's log, and nobody else does.
                        (
                            Action::KeepGridLog,
                            position == PositionKind::GridWorker && inside,
                        ),
                        // Cases are handled by the committee and grid workers over the place.
                        (
                            Action::HandleCases,
                            (confirms || position == PositionKind::GridWorker) && inside,
                        ),
                    ] {
                        let expected = if may {
                            Verdict::Allowed
                        } else {
                            Verdict::Forbidden
                        };
                        assert_eq!(
                            decide(&actor, action, place),
                            expected,
                            "{position:?} over {unit:?} doing {action:?} at {building} (inside: {inside})"
                        );
                        cases += 1;
                    }
                    // Elsewhere in another community, nothing is even visible.
                    let Target::Place { place: p, .. } = place else {
                        unreachable!()
                    };
                    let abroad = Target::Place {
                        community_id: Uuid::new_v4(),
                        place: p,
                    };
                    assert_eq!(decide(&actor, Action::KeepRoll, abroad), Verdict::Invisible);
                }
                for action in [
                    Action::ManageTerritory,
                    Action::AppointPositions,
                    Action::RunElections,
                    Action::KeepPolls,
                    Action::TakeIntake,
                    Action::Announce,
                    Action::Organise,
                ] {
                    // Election officers keep the polls, and only they (with admins): the
                    // president calls elections but does not count them. The help team,
                    // grid workers and the committee take residents' requests.
                    let may = match action {
                        Action::KeepPolls => position == PositionKind::ElectionOfficer,
                        // The president and vice president speak to the whole community.
                        Action::Announce | Action::Organise => matches!(
                            position,
                            PositionKind::President | PositionKind::VicePresident
                        ),
                        Action::TakeIntake => {
                            confirms
                                || matches!(
                                    position,
                                    PositionKind::HelpTeam | PositionKind::GridWorker
                                )
                        }
                        _ => runs,
                    };
                    let expected = if may {
                        Verdict::Allowed
                    } else {
                        Verdict::Forbidden
                    };
                    assert_eq!(
                        decide(&actor, action, Target::Community { id: c }),
                        expected,
                        "{position:?} doing {action:?}"
                    );
                    cases += 1;
                }
            }
        }
        // 18 holdings (11 positions over each unit of their kinds), each with 3 buildings × 8
        // place actions and 7 community actions.
        assert_eq!(cases, 18 * 31, "the generated table changed size");
    }

    #[test]
    fn roles_and_scopes_round_trip_through_their_stored_names() {
        for role in [Role::Admin, Role::Leader, Role::Member] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        let id = Uuid::new_v4();
        for scope in [Scope::Community(id), Scope::Group(id)] {
            assert_eq!(Scope::parse(scope.kind(), scope.id()), Some(scope));
        }
        assert_eq!(Role::parse("president"), None);
    }
}
