//! Reading the audit log: one council's entries, or (platform admins) all of them.

use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::page_limit;
use super::extract::{CouncilPath, QueryParams};
use super::permission::Grant::ReadAudit;
use super::permission::Permission::{Council, PlatformAdmin};
use super::problem::Problem;
use super::route::Route;
use crate::store::AuditEntry;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The `next_cursor` of the previous page.
    pub after: Option<u64>,
    /// Page size, 1 to 500; default 100.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<u64>,
}

fn page(
    state: &AppState,
    council: Option<&crate::council::CouncilId>,
    q: AuditQuery,
) -> Result<Json<AuditPage>, Problem> {
    let limit = page_limit(q.limit)?;
    let mut entries = state
        .store
        .audit_entries(council, q.after.unwrap_or(0), limit + 1)?;
    let next_cursor = if entries.len() > limit {
        entries.truncate(limit);
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(AuditPage {
        entries,
        next_cursor,
    }))
}

async fn council_audit(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>, Problem> {
    state.caseload.council(&council)?;
    page(&state, Some(&council), q)
}

async fn platform_audit(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>, Problem> {
    page(&state, None, q)
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/v1/audit", PlatformAdmin, platform_audit)
            .query::<AuditQuery>()
            .ok::<AuditPage>(),
        Route::get(
            "/v1/councils/{council}/audit",
            Council(ReadAudit),
            council_audit,
        )
        .query::<AuditQuery>()
        .ok::<AuditPage>(),
    ]
}
