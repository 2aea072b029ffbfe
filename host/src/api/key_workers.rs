//! Key workers: create, list, change and retire them, and assign participants to
//! them within their caseload caps (`caseload/key_workers.rs` holds the rules).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::access::AuditIds;
use super::extract::{CouncilPath, JsonBody, ParticipantPath, PathParams};
use super::permission::Grant::{ManageConfig, ReadConfig, WriteCases};
use super::permission::Permission::Council;
use super::problem::{Problem, ProblemKind};
use super::route::Route;
use crate::caseload::{AssignError, Assignment};
use crate::council::CouncilId;
use crate::journey::ParticipantId;
use crate::key_workers::{
    self, InvalidKeyWorker, KeyWorker, KeyWorkerId, KeyWorkerView, checked_cap, checked_name,
};
use crate::store::{DamagedRecord, Durable};

/// A key worker as `POST …/key-workers` takes it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyWorker {
    /// How the council's staff know them, 1 to 100 characters.
    pub name: String,
    /// Active participants they may hold before an assignment needs an override;
    /// default 20 (the top of the IPS fidelity scale).
    pub caseload_cap: Option<u32>,
}

/// A change to a key worker: only the fields given change.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyWorkerChange {
    pub name: Option<String>,
    pub caseload_cap: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyWorkerList {
    /// In id order, retired ones included (with `retired_at`).
    pub key_workers: Vec<KeyWorkerView>,
    /// Stored key workers that could not be read, by key; restore them from a backup.
    pub damaged: Vec<DamagedRecord>,
}

/// `PUT …/participants/{participant}/key-worker`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignKeyWorker {
    pub key_worker: KeyWorkerId,
    /// Why the assignment must go past the key worker's caseload cap. Without it an
    /// assignment past the cap is refused (409). Kept with the key worker's records,
    /// never in logs or the audit log.
    pub override_reason: Option<String>,
}

/// What an assignment did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyWorkerAssignment {
    pub participant_id: ParticipantId,
    pub key_worker: KeyWorkerId,
    /// The key worker's active caseload after the assignment.
    pub active_caseload: u32,
    pub caseload_cap: u32,
    pub fidelity_band: u8,
    /// The assignment went past the cap with an override.
    pub overridden: bool,
    /// `false` when the participant already had this key worker.
    pub changed: bool,
}

impl From<InvalidKeyWorker> for Problem {
    fn from(e: InvalidKeyWorker) -> Problem {
        Problem::new(ProblemKind::InvalidKeyWorker, e.to_string())
    }
}

impl From<AssignError> for Problem {
    fn from(e: AssignError) -> Problem {
        match e {
            AssignError::UnknownKeyWorker(_) => {
                Problem::new(ProblemKind::UnknownKeyWorker, e.to_string())
            }
            AssignError::Retired(_) => Problem::new(ProblemKind::KeyWorkerRetired, e.to_string()),
            AssignError::OverCap { .. } => Problem::new(ProblemKind::CaseloadCap, e.to_string()),
            AssignError::Reason => Problem::new(ProblemKind::InvalidOverride, e.to_string()),
        }
    }
}

/// `{council}` and `{key_worker}` in the path.
fn key_worker_path(p: &HashMap<String, String>) -> Result<(CouncilId, KeyWorkerId), Problem> {
    let council = p
        .get("council")
        .map(String::as_str)
        .unwrap_or_default()
        .parse()
        .map_err(|e: crate::council::InvalidCouncilId| Problem::not_found(e.to_string()))?;
    let id = p
        .get("key_worker")
        .map(String::as_str)
        .unwrap_or_default()
        .parse()
        .map_err(|e: key_workers::InvalidKeyWorkerId| Problem::not_found(e.to_string()))?;
    Ok((council, id))
}

fn view(state: &AppState, kw: KeyWorker) -> Result<KeyWorkerView, Problem> {
    let journeys = state.store.journeys(&kw.council)?;
    let caseload = key_workers::caseloads(&journeys)
        .get(&kw.id)
        .copied()
        .unwrap_or(0);
    Ok(KeyWorkerView::new(kw, caseload))
}

fn stored(state: &AppState, council: &CouncilId, id: &KeyWorkerId) -> Result<KeyWorker, Problem> {
    state.caseload.council(council)?;
    state.store.key_worker(council, id)?.ok_or_else(|| {
        Problem::not_found(format!(
            "no key worker `{id}` in council `{council}`: ids are as listed by GET …/key-workers"
        ))
    })
}

async fn create(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
    JsonBody(body): JsonBody<NewKeyWorker>,
) -> Result<(StatusCode, Durable<Json<KeyWorkerView>>), Problem> {
    state.caseload.council(&council)?;
    let now = state.clock.now();
    let kw = KeyWorker {
        id: KeyWorkerId::new_random(),
        council: council.clone(),
        name: checked_name(&body.name)?,
        caseload_cap: checked_cap(body.caseload_cap)?,
        retired_at: None,
        created_at: now,
        updated_at: now,
    };
    state.store.put_key_worker(&kw)?;
    let done = state.store.commit(Json(KeyWorkerView::new(kw, 0))).await?;
    tracing::info!(council = %council, key_worker = %done.get().0.key_worker.id, "key worker created");
    Ok((StatusCode::CREATED, done))
}

async fn list(
    State(state): State<AppState>,
    CouncilPath(council): CouncilPath,
) -> Result<Json<KeyWorkerList>, Problem> {
    state.caseload.council(&council)?;
    let listed = state.store.key_workers(&council)?;
    let journeys = state.store.journeys(&council)?;
    let caseloads = key_workers::caseloads(&journeys);
    Ok(Json(KeyWorkerList {
        key_workers: listed
            .items
            .into_iter()
            .map(|kw| {
                let n = caseloads.get(&kw.id).copied().unwrap_or(0);
                KeyWorkerView::new(kw, n)
            })
            .collect(),
        damaged: listed.damaged,
    }))
}

async fn get_one(
    State(state): State<AppState>,
    PathParams(p): PathParams<HashMap<String, String>>,
) -> Result<Json<KeyWorkerView>, Problem> {
    let (council, id) = key_worker_path(&p)?;
    let kw = stored(&state, &council, &id)?;
    Ok(Json(view(&state, kw)?))
}

async fn change(
    State(state): State<AppState>,
    PathParams(p): PathParams<HashMap<String, String>>,
    JsonBody(body): JsonBody<KeyWorkerChange>,
) -> Result<Durable<Json<KeyWorkerView>>, Problem> {
    let (council, id) = key_worker_path(&p)?;
    let mut kw = stored(&state, &council, &id)?;
    if let Some(name) = &body.name {
        kw.name = checked_name(name)?;
    }
    if body.caseload_cap.is_some() {
        kw.caseload_cap = checked_cap(body.caseload_cap)?;
    }
    kw.updated_at = state.clock.now();
    state.store.put_key_worker(&kw)?;
    let done = state.store.commit(Json(view(&state, kw)?)).await?;
    tracing::info!(council = %council, key_worker = %id, "key worker changed");
    Ok(done)
}

/// Retires a key worker: they take no new participants and stay listed, with their
/// history. Refused while participants are still assigned to them.
async fn retire(
    State(state): State<AppState>,
    PathParams(p): PathParams<HashMap<String, String>>,
) -> Result<Durable<Json<KeyWorkerView>>, Problem> {
    let (council, id) = key_worker_path(&p)?;
    let mut kw = stored(&state, &council, &id)?;
    if kw.is_retired() {
        // Nothing to write: already as asked.
        return Ok(state.store.commit(Json(view(&state, kw)?)).await?);
    }
    let current = view(&state, kw.clone())?;
    if current.active_caseload > 0 {
        return Err(Problem::new(
            ProblemKind::KeyWorkerHasCaseload,
            format!(
                "key worker `{id}` still has {} active participants: reassign them (PUT …/participants/{{participant}}/key-worker) before retiring them",
                current.active_caseload
            ),
        ));
    }
    let now = state.clock.now();
    kw.retired_at = Some(now);
    kw.updated_at = now;
    state.store.put_key_worker(&kw)?;
    let done = state.store.commit(Json(view(&state, kw)?)).await?;
    tracing::info!(council = %council, key_worker = %id, "key worker retired");
    Ok(done)
}

async fn assign(
    State(state): State<AppState>,
    ParticipantPath(council, participant): ParticipantPath,
    JsonBody(body): JsonBody<AssignKeyWorker>,
) -> Result<Durable<Response>, Problem> {
    let assignment = Assignment {
        key_worker: body.key_worker,
        override_reason: body.override_reason,
    };
    let done = state
        .caseload
        .assign_key_worker(&council, participant, &assignment)
        .await?;
    Ok(done.map(|(_, assigned)| {
        let kw = &assigned.key_worker;
        tracing::info!(council = %council, %participant, key_worker = %kw.id, overridden = assigned.overridden, "key worker assigned");
        let answer = KeyWorkerAssignment {
            participant_id: participant,
            key_worker: kw.id.clone(),
            active_caseload: assigned.caseload,
            caseload_cap: kw.caseload_cap,
            fidelity_band: key_workers::fidelity_band(assigned.caseload),
            overridden: assigned.overridden,
            changed: assigned.changed,
        };
        let mut response = Json(answer).into_response();
        response
            .extensions_mut()
            .insert(override_ids(&kw.id, assigned.overridden));
        response
    }))
}

/// What the audit entry of an assignment adds to the route's ids: the key worker,
/// and whether the cap was overridden (the reason stays out: it is free text).
pub(super) fn override_ids(key_worker: &KeyWorkerId, overridden: bool) -> AuditIds {
    let mut ids = BTreeMap::from([("key_worker".to_owned(), key_worker.to_string())]);
    if overridden {
        ids.insert("override".to_owned(), "caseload_cap".to_owned());
    }
    AuditIds(ids)
}

pub fn routes() -> Vec<Route> {
    // Key workers are the council's staffing; assigning a participant is casework.
    vec![
        Route::get(
            "/v1/councils/{council}/key-workers",
            Council(ReadConfig),
            list,
        )
        .ok::<KeyWorkerList>(),
        Route::post(
            "/v1/councils/{council}/key-workers",
            Council(ManageConfig),
            create,
        )
        .json::<NewKeyWorker>()
        .created::<KeyWorkerView>(),
        Route::get(
            "/v1/councils/{council}/key-workers/{key_worker}",
            Council(ReadConfig),
            get_one,
        )
        .ok::<KeyWorkerView>(),
        Route::patch(
            "/v1/councils/{council}/key-workers/{key_worker}",
            Council(ManageConfig),
            change,
        )
        .json::<KeyWorkerChange>()
        .ok::<KeyWorkerView>(),
        Route::post(
            "/v1/councils/{council}/key-workers/{key_worker}/retire",
            Council(ManageConfig),
            retire,
        )
        .ok::<KeyWorkerView>(),
        Route::put(
            "/v1/councils/{council}/participants/{participant}/key-worker",
            Council(WriteCases),
            assign,
        )
        .json::<AssignKeyWorker>()
        .ok::<KeyWorkerAssignment>(),
    ]
}
