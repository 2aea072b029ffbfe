//! JSON Schemas of the API's request and response bodies, generated from the same
//! Rust types the handlers use. `waymark schemas export` writes them to `schemas/`;
//! a test fails when the committed files drift from the code.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::{JsonSchema, schema_for};

use super::actions::{ActionPage, ActionQuery};
use super::audit::{AuditPage, AuditQuery};
use super::backup::NewBackup;
use super::clock::SetClock;
use super::councils::{
    CouncilChange, CouncilPage, CouncilQuery, CouncilView, NewCouncil, PluginInstalled,
};
use super::indicators::IndicatorQuery;
use super::key_workers::{
    AssignKeyWorker, KeyWorkerAssignment, KeyWorkerChange, KeyWorkerList, NewKeyWorker,
};
use super::keys::{CreatedKey, KeyList, KeyQuery, NewKey, NewPlatformKey};
use super::participants::NewReferral;
use super::plugins::{PluginActivated, PluginVersionView, PluginVersions, ReplayRequest};
use super::privacy::NewLegalHold;
use super::problem::Problem;
use super::retention::{RetentionSettings, RetentionView};
use super::reviews::{DecisionLog, ResolveReview, ReviewPage, ReviewQuery};
use super::roster::{EventPage, EventQuery, ParticipantPage, ParticipantQuery};
use super::schedules::{
    PreviewQuery, RunPage, RunQuery, SchedulePage, SchedulePreview, ScheduleQuery,
};
use super::settings::CouncilSettings;
use crate::caseload::{ParticipantView, Referred};
use crate::indicators::Indicators;
use crate::journey::{CaseworkerEvent, ReferralCorrection};
use crate::key_workers::KeyWorkerView;
use crate::outbox::Action;
use crate::outbox::webhook::{WebhookSettings, WebhookView};
use crate::policy::Limits;
use crate::replay::ReplayReport;
use crate::review::ReviewItem;
use crate::schedule::admin::{AdminSchedule, ScheduleDefinition};
use crate::schedule::council_calendar::CalendarSpec;
use crate::store::{BackupTaken, Erasure, LegalHold, ParticipantExport};

fn schema<T: JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schema_for!(T)).unwrap_or_default()
}

/// File name → schema, for every body the API reads or writes.
pub fn all() -> BTreeMap<&'static str, serde_json::Value> {
    BTreeMap::from([
        ("action.json", schema::<Action>()),
        ("action-page.json", schema::<ActionPage>()),
        ("action-query.json", schema::<ActionQuery>()),
        ("calendar.json", schema::<CalendarSpec>()),
        ("audit-page.json", schema::<AuditPage>()),
        ("audit-query.json", schema::<AuditQuery>()),
        ("backup-taken.json", schema::<BackupTaken>()),
        ("new-backup.json", schema::<NewBackup>()),
        ("created-key.json", schema::<CreatedKey>()),
        ("erasure.json", schema::<Erasure>()),
        ("key-list.json", schema::<KeyList>()),
        ("indicators.json", schema::<Indicators>()),
        ("indicator-query.json", schema::<IndicatorQuery>()),
        ("key-worker.json", schema::<KeyWorkerView>()),
        ("key-worker-list.json", schema::<KeyWorkerList>()),
        ("new-key-worker.json", schema::<NewKeyWorker>()),
        ("key-worker-change.json", schema::<KeyWorkerChange>()),
        ("assign-key-worker.json", schema::<AssignKeyWorker>()),
        (
            "key-worker-assignment.json",
            schema::<KeyWorkerAssignment>(),
        ),
        ("legal-hold.json", schema::<LegalHold>()),
        ("new-key.json", schema::<NewKey>()),
        ("new-legal-hold.json", schema::<NewLegalHold>()),
        ("new-platform-key.json", schema::<NewPlatformKey>()),
        ("participant-export.json", schema::<ParticipantExport>()),
        ("caseworker-event.json", schema::<CaseworkerEvent>()),
        ("council.json", schema::<CouncilView>()),
        ("council-settings.json", schema::<CouncilSettings>()),
        ("decision-log.json", schema::<DecisionLog>()),
        ("limits.json", schema::<Limits>()),
        ("new-council.json", schema::<NewCouncil>()),
        ("new-referral.json", schema::<NewReferral>()),
        ("participant.json", schema::<ParticipantView>()),
        ("plugin-activated.json", schema::<PluginActivated>()),
        ("plugin-installed.json", schema::<PluginInstalled>()),
        ("plugin-versions.json", schema::<PluginVersions>()),
        ("problem.json", schema::<Problem>()),
        ("referred.json", schema::<Referred>()),
        ("schedule.json", schema::<AdminSchedule>()),
        ("schedule-definition.json", schema::<ScheduleDefinition>()),
        ("schedule-page.json", schema::<SchedulePage>()),
        ("schedule-preview.json", schema::<SchedulePreview>()),
        ("schedule-preview-query.json", schema::<PreviewQuery>()),
        ("schedule-query.json", schema::<ScheduleQuery>()),
        ("schedule-run-page.json", schema::<RunPage>()),
        ("schedule-run-query.json", schema::<RunQuery>()),
        ("replay-report.json", schema::<ReplayReport>()),
        ("replay-request.json", schema::<ReplayRequest>()),
        ("resolve-review.json", schema::<ResolveReview>()),
        ("retention.json", schema::<RetentionView>()),
        ("retention-settings.json", schema::<RetentionSettings>()),
        ("review.json", schema::<ReviewItem>()),
        ("review-page.json", schema::<ReviewPage>()),
        ("review-query.json", schema::<ReviewQuery>()),
        ("set-clock.json", schema::<SetClock>()),
        ("webhook.json", schema::<WebhookView>()),
        ("webhook-settings.json", schema::<WebhookSettings>()),
        // Listing and changing councils, participants, events, keys and versions.
        ("council-change.json", schema::<CouncilChange>()),
        ("council-page.json", schema::<CouncilPage>()),
        ("council-query.json", schema::<CouncilQuery>()),
        ("event-page.json", schema::<EventPage>()),
        ("event-query.json", schema::<EventQuery>()),
        ("key-query.json", schema::<KeyQuery>()),
        ("participant-page.json", schema::<ParticipantPage>()),
        // Correcting a participant's details (the right to rectification).
        ("referral-correction.json", schema::<ReferralCorrection>()),
        ("participant-query.json", schema::<ParticipantQuery>()),
        ("plugin-version.json", schema::<PluginVersionView>()),
    ])
}

/// Pretty JSON with a trailing newline, as committed.
pub fn render(schema: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}

/// Every file `schemas/` holds: the schemas and the OpenAPI document.
pub fn files() -> BTreeMap<&'static str, serde_json::Value> {
    let mut files = all();
    files.insert("openapi.json", super::openapi::document());
    files
}

pub fn export(dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let all = files();
    for (name, schema) in &all {
        std::fs::write(dir.join(name), render(schema))?;
    }
    Ok(all.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_schemas_match_the_code() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let mut drifted = Vec::new();
        for (name, schema) in files() {
            let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            if committed != render(&schema) {
                drifted.push(name);
            }
        }
        assert!(
            drifted.is_empty(),
            "schemas/ is out of date for {drifted:?}: run `cargo run -p waymark -- schemas export`"
        );
    }
}
