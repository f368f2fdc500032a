//! The Family view's model: the watched process's parent and children, each with the headroom
//! of the one model (`headroom`: fds against RLIMIT_NOFILE, threads against the binding limit,
//! memory against its limit), and who else uses the limits they share. The family arrives from
//! the collector ([`Msg::Family`](super::Msg)); Enter on a relative asks the shell to watch it
//! ([`Effect::Watch`]), Back returns to the process watched before.

use super::table::{natural_cmp, TableUi};
use super::{AppState, Effect, View};
use crate::headroom::{Headroom, Resource, ResourceKind};
use crate::sample::{Family, Relative, Sample};

/// Where a member stands relative to the watched process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    Parent,
    Watched,
    Child,
}

impl Relation {
    pub fn label(self) -> &'static str {
        match self {
            Relation::Parent => "parent",
            Relation::Watched => "watched",
            Relation::Child => "child",
        }
    }
}

/// One row of the Family table.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub pid: i32,
    pub relation: Relation,
    pub comm: String,
    /// The real user's name, else `uid N`; empty when unread.
    pub user: String,
    pub state: String,
    /// The resources of the headroom model, or why the process could not be read.
    pub headroom: Result<Vec<Resource>, String>,
}

impl Member {
    pub fn resource(&self, kind: ResourceKind) -> Option<&Resource> {
        self.headroom.as_ref().ok()?.iter().find(|r| r.kind == kind)
    }

    fn percent(&self, kind: ResourceKind) -> f64 {
        self.resource(kind)
            .and_then(Resource::percent)
            .unwrap_or(-1.0)
    }
}

/// The newest family reading and its rows (the watched process's own row carries the live
/// headroom, trend included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FamilyUi {
    pub family: Option<Family>,
    pub members: Vec<Member>,
}

/// Sort orders of the Family table, in the order `s` cycles through them.
pub const SORTS: &[&str] = &["family", "fds %", "threads %", "memory %", "name"];

/// Takes in a new family reading of the watched process (a stale one is dropped).
pub fn on_family(state: &mut AppState, family: Family) {
    if family.pid != state.pid || !state.status.is_live() {
        return;
    }
    let config = state.engine.config().clone();
    let member = |relation, relative: &Relative| match &relative.reading {
        Ok(sample) => of_sample(relation, sample, Headroom::of_reading(sample, &config)),
        Err(reason) => Member {
            pid: relative.pid,
            relation,
            comm: relative.comm.clone(),
            user: String::new(),
            state: String::new(),
            headroom: Err(reason.clone()),
        },
    };
    let mut members: Vec<Member> = family
        .parent
        .iter()
        .map(|p| member(Relation::Parent, p))
        .collect();
    if let Some(current) = &state.current {
        members.push(of_sample(
            Relation::Watched,
            current,
            state.headroom().clone(),
        ));
    }
    members.extend(family.children.iter().map(|c| member(Relation::Child, c)));
    state.family = FamilyUi {
        family: Some(family),
        members,
    };
    state.family_generation += 1;
}

fn of_sample(relation: Relation, sample: &Sample, headroom: Headroom) -> Member {
    let id = &sample.identity;
    Member {
        pid: id.pid,
        relation,
        comm: id.comm.clone(),
        user: id
            .user
            .clone()
            .unwrap_or_else(|| format!("uid {}", id.uid.real)),
        state: id.state.clone(),
        headroom: Ok(headroom.resources),
    }
}

/// Keeps the watched process's own row on the live headroom (trend included) between family
/// readings.
pub fn refresh_watched(state: &mut AppState) {
    let resources = state.headroom().resources.clone();
    let watched = state.family.members.iter_mut();
    if let Some(member) = watched
        .into_iter()
        .find(|m| m.relation == Relation::Watched)
    {
        member.headroom = Ok(resources);
    }
}

/// The member at `position` of the Family table.
pub fn member_at(state: &AppState, position: usize) -> Option<&Member> {
    let index = *state.ui.tables[View::Family.index()].order.get(position)?;
    state.family.members.get(index)
}

/// The Family table's order: filtered by name, user or `#pid`, sorted as asked.
pub fn order(state: &AppState, table: &TableUi) -> Vec<usize> {
    let members = &state.family.members;
    let filter = table.matcher();
    let mut order: Vec<usize> = (0..members.len())
        .filter(|&i| {
            let m = &members[i];
            filter.accepts(u64::try_from(m.pid).ok(), &[&m.comm, &m.user])
        })
        .collect();
    let by_percent = |kind: ResourceKind| {
        move |a: &usize, b: &usize| {
            members[*b]
                .percent(kind)
                .total_cmp(&members[*a].percent(kind))
                .then(members[*a].pid.cmp(&members[*b].pid))
        }
    };
    match SORTS.get(table.sort).copied() {
        Some("fds %") => order.sort_by(by_percent(ResourceKind::Fds)),
        Some("threads %") => order.sort_by(by_percent(ResourceKind::Threads)),
        Some("memory %") => order.sort_by(by_percent(ResourceKind::Memory)),
        Some("name") => order.sort_by(|&a, &b| {
            natural_cmp(&members[a].comm, &members[b].comm)
                .then(members[a].pid.cmp(&members[b].pid))
        }),
        _ => order.sort_by_key(|&i| (members[i].relation, members[i].pid)),
    }
    order
}

/// Enter on a relative: watch it (the shell starts over on it); on the watched row, nothing.
pub fn open(state: &mut AppState) -> Vec<Effect> {
    let selected = state.ui.tables[View::Family.index()].selected;
    let Some(member) = member_at(state, selected) else {
        return Vec::new();
    };
    if member.relation == Relation::Watched {
        state.message = Some("this is the watched process".into());
        return Vec::new();
    }
    if member.headroom.is_err() {
        state.message = Some(format!(
            "pid {} cannot be watched: it was not readable",
            member.pid
        ));
        return Vec::new();
    }
    let mut came_from = state.came_from.clone();
    came_from.push(state.pid);
    vec![Effect::Watch {
        pid: member.pid,
        came_from,
    }]
}

/// Back at the top level: the process watched before this one, if it was reached by Enter,
/// else the picker, if the session started there.
pub fn back(state: &mut AppState) -> Vec<Effect> {
    let mut came_from = state.came_from.clone();
    match came_from.pop() {
        Some(pid) => vec![Effect::Watch { pid, came_from }],
        None => super::picker::back(state),
    }
}
