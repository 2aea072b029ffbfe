//! Who may call what: a route declares a [`Permission`] (in its module's `routes()`),
//! and [`authorise`] holds a caller's key against it. The gate (`access.rs`) asks it
//! of every request; the console asks it before showing a link or a form.

use super::problem::{Problem, ProblemKind};
use crate::access::{Caller, Role};
use crate::council::CouncilId;

/// What a route needs from the caller. Platform admins pass every check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    PlatformAdmin,
    /// Any live key (e.g. reading the API's own description).
    AnyKey,
    /// A key of the council named in the path, with a role the grant allows.
    Council(Grant),
}

impl Permission {
    /// Who may call a route needing this, in a sentence (the OpenAPI operation's description).
    pub fn describe(self) -> String {
        match self {
            Permission::PlatformAdmin => "Needs a platform-admin key.".to_owned(),
            Permission::AnyKey => "Any live API key may call this.".to_owned(),
            Permission::Council(grant) => {
                let roles: Vec<&str> = grant.roles().iter().map(|r| r.as_str()).collect();
                format!(
                    "Needs a key of the council in the path with one of the roles: {} (or a platform-admin key).",
                    roles.join(", ")
                )
            }
        }
    }
}

/// What a council-scoped route does, and so which council roles may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The council's configuration: plugins, settings, schedules, webhooks, limits.
    ReadConfig,
    ManageConfig,
    ReadKeys,
    ManageKeys,
    /// Referrals, participants, events, actions, reviews.
    ReadCases,
    WriteCases,
    /// A participant's subject-access export (it is all their personal data).
    ExportParticipant,
    /// Erasure and legal holds.
    ManagePrivacy,
    ReadAudit,
}

impl Grant {
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Grant::ReadConfig => &[CouncilAdmin, Caseworker, Auditor],
            Grant::ManageConfig | Grant::ManageKeys | Grant::ManagePrivacy => &[CouncilAdmin],
            Grant::ReadKeys | Grant::ReadAudit => &[CouncilAdmin, Auditor],
            Grant::ReadCases => &[Caseworker, Auditor],
            Grant::WriteCases => &[Caseworker],
            Grant::ExportParticipant => &[Caseworker, CouncilAdmin],
        }
    }
}

use Permission::{AnyKey, Council, PlatformAdmin};

fn forbidden(detail: String) -> Problem {
    Problem::new(ProblemKind::Forbidden, detail)
}

/// Whether `caller` may use a route needing `permission`, with `council` in its path.
pub fn authorise(
    caller: &Caller,
    permission: Permission,
    council: Option<&str>,
) -> Result<(), Problem> {
    if caller.role == Role::PlatformAdmin {
        return Ok(());
    }
    let grant = match permission {
        AnyKey => return Ok(()),
        PlatformAdmin => {
            return Err(forbidden(format!(
                "this route is for platform admins; a {} key cannot use it",
                caller.role
            )));
        }
        Council(grant) => grant,
    };
    let own = caller.council.as_ref().map(CouncilId::as_str);
    // Same answer whether the other council exists or not: nothing about it is revealed.
    if council.is_none() || council != own {
        return Err(forbidden(format!(
            "this key belongs to council `{}` and can reach only routes under /v1/councils/{}/",
            own.unwrap_or_default(),
            own.unwrap_or_default()
        )));
    }
    if !grant.roles().contains(&caller.role) {
        let allowed: Vec<&str> = grant.roles().iter().map(|r| r.as_str()).collect();
        return Err(forbidden(format!(
            "a {} key cannot do this; it needs a key with one of the roles: {}",
            caller.role,
            allowed.join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::KeyId;
    use Grant::*;

    fn caller(role: Role, council: Option<&str>) -> Caller {
        Caller {
            key: KeyId::new_random(),
            role,
            council: council.map(|c| c.parse().unwrap()),
            key_worker: None,
        }
    }

    #[test]
    fn council_keys_reach_only_their_own_council() {
        let worker = caller(Role::Caseworker, Some("leeds"));
        let read = Council(ReadCases);
        assert!(authorise(&worker, read, Some("leeds")).is_ok());
        let other = authorise(&worker, read, Some("stoke-on-trent")).unwrap_err();
        assert_eq!(other.status, 403);
        assert!(!other.detail.contains("stoke"), "{}", other.detail);
        assert!(authorise(&worker, read, None).is_err());
    }

    #[test]
    fn each_role_is_refused_what_its_grants_leave_out() {
        let c = Some("leeds");
        let auditor = caller(Role::Auditor, c);
        assert!(authorise(&auditor, Council(ReadCases), c).is_ok());
        assert!(authorise(&auditor, Council(ReadAudit), c).is_ok());
        assert!(authorise(&auditor, Council(WriteCases), c).is_err());
        assert!(authorise(&auditor, Council(ManageConfig), c).is_err());
        let worker = caller(Role::Caseworker, c);
        assert!(authorise(&worker, Council(ManageKeys), c).is_err());
        assert!(authorise(&worker, Council(ReadAudit), c).is_err());
        assert!(authorise(&worker, Council(ManagePrivacy), c).is_err());
        let admin = caller(Role::CouncilAdmin, c);
        assert!(authorise(&admin, Council(ManageKeys), c).is_ok());
        assert!(authorise(&admin, Council(WriteCases), c).is_err());
        assert!(authorise(&admin, PlatformAdmin, c).is_err());
    }
}
