//! Replaying a council's recorded decisions against another plugin version.
//!
//! Every decision record keeps what the plugin was asked (the least facts, the
//! settings as given, the as-of date), so a candidate version can be asked the
//! same and its answers compared before it is activated: the same answer, or the
//! difference with both sets of reasons. Used by
//! `POST …/plugin/versions/{digest}/replay` and, offline against a stopped
//! daemon's data folder, by `waymark plugin replay`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::council::{Council, CouncilId};
use crate::journey::ParticipantId;
use crate::policy::{
    CallContext, Decision, DecisionError, EngineSettings, JourneyFacts, Limits, Plugin,
    PluginDigest, Policies, Reason, ReferralFacts,
};
use crate::store::{DataFolderLock, Store, StoreError};

/// What a decision was, or why there was none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Answered {
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub reasons: Vec<Reason>,
}

/// A recorded decision the other version decides differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReplayDifference {
    pub participant: ParticipantId,
    pub hook: String,
    /// When the recorded decision was made.
    pub at: DateTime<Utc>,
    pub recorded_plugin: Option<PluginDigest>,
    pub recorded: Answered,
    pub replayed: Answered,
}

/// How another version decides a council's recorded decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReplayReport {
    pub council: CouncilId,
    /// The version the decisions were replayed against.
    pub plugin: PluginDigest,
    /// Decisions asked again.
    pub replayed: usize,
    /// Of those, how many the version decided exactly as recorded.
    pub same: usize,
    /// Records without their input (made before inputs were kept), not replayed.
    pub skipped: usize,
    /// Whether the log had more decisions than `limit`.
    pub truncated: bool,
    pub differences: Vec<ReplayDifference>,
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replayed {} decisions of council `{}` against {}: {} the same, {} different",
            self.replayed,
            self.council,
            self.plugin,
            self.same,
            self.differences.len()
        )?;
        if self.skipped > 0 {
            write!(
                f,
                ", {} skipped (recorded without their input)",
                self.skipped
            )?;
        }
        if self.truncated {
            f.write_str(" (more decisions than the limit; not all were replayed)")?;
        }
        for d in &self.differences {
            write!(
                f,
                "\n- participant {} {} at {}:\n    recorded: {}\n    replayed: {}",
                d.participant,
                d.hook,
                d.at.to_rfc3339(),
                describe(&d.recorded),
                describe(&d.replayed)
            )?;
        }
        Ok(())
    }
}

fn describe(a: &Answered) -> String {
    let answer = match (&a.output, &a.error) {
        (_, Some(error)) => format!("no decision ({error})"),
        (Some(output), None) => output.to_string(),
        (None, None) => "nothing".to_owned(),
    };
    let rules: Vec<&str> = a.reasons.iter().map(|r| r.rule.as_str()).collect();
    if rules.is_empty() {
        answer
    } else {
        format!("{answer} [rules: {}]", rules.join(", "))
    }
}

/// The most decisions one replay asks again, unless told otherwise.
pub const DEFAULT_LIMIT: usize = 10_000;

/// Asks `plugin` every recorded decision of `council` (or of one participant) again,
/// under the council's calendar and limits, and compares.
pub fn replay(
    store: &Store,
    council: &Council,
    plugin: &Plugin,
    participant: Option<ParticipantId>,
    limit: usize,
) -> Result<ReplayReport, StoreError> {
    let mut records = store.council_decisions(&council.id, participant, limit.saturating_add(1))?;
    let truncated = records.len() > limit;
    records.truncate(limit);
    let calendar = Arc::new(council.calendar());
    let mut report = ReplayReport {
        council: council.id.clone(),
        plugin: plugin.digest().clone(),
        replayed: 0,
        same: 0,
        skipped: 0,
        truncated,
        differences: Vec::new(),
    };
    for (participant, record) in records {
        let (Some(settings), Some(facts), Some(as_of)) =
            (&record.settings, &record.facts, record.as_of)
        else {
            report.skipped += 1;
            continue;
        };
        let ctx = CallContext {
            settings: settings.clone(),
            calendar: calendar.clone(),
            limits: council.limits,
        };
        let replayed = match ask(plugin, &ctx, &record.hook, facts, as_of) {
            Some(answered) => answered,
            None => {
                report.skipped += 1;
                continue;
            }
        };
        report.replayed += 1;
        let recorded = Answered {
            output: record.output.clone(),
            error: record.error.clone(),
            reasons: record.reasons.clone(),
        };
        if same(&recorded, &replayed) {
            report.same += 1;
        } else {
            report.differences.push(ReplayDifference {
                participant,
                hook: record.hook.clone(),
                at: record.at,
                recorded_plugin: record.plugin.clone(),
                recorded,
                replayed,
            });
        }
    }
    Ok(report)
}

/// Decisions agree when both answered the same, or both failed the same way.
fn same(recorded: &Answered, replayed: &Answered) -> bool {
    match (&recorded.error, &replayed.error) {
        (None, None) => recorded.output == replayed.output,
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Asks the hook again; `None` when the record's hook or facts are not replayable.
fn ask(
    plugin: &Plugin,
    ctx: &CallContext,
    hook: &str,
    facts: &serde_json::Value,
    as_of: chrono::NaiveDate,
) -> Option<Answered> {
    let journey = || serde_json::from_value::<JourneyFacts>(facts.clone()).ok();
    Some(match hook {
        "eligibility" => {
            let referral: ReferralFacts = serde_json::from_value(facts.clone()).ok()?;
            answered(plugin.eligibility(ctx, &referral, as_of))
        }
        "plan" => answered(plugin.plan(ctx, &journey()?, as_of)),
        "missed_contact" => answered(plugin.missed_contact(ctx, &journey()?, as_of)),
        "handover" => answered(plugin.handover(ctx, &journey()?, as_of)),
        _ => return None,
    })
}

fn answered<T: Serialize>(result: Result<Decision<T>, DecisionError>) -> Answered {
    match result {
        Ok(d) => {
            let output = serde_json::to_value(&d.value).ok();
            let reasons = output
                .as_ref()
                .and_then(|o| o.get("reasons"))
                .and_then(|r| serde_json::from_value(r.clone()).ok())
                .unwrap_or_default();
            Answered {
                output,
                error: None,
                reasons,
            }
        }
        Err(e) => Answered {
            output: None,
            error: Some(e.to_string()),
            reasons: Vec::new(),
        },
    }
}

/// `waymark plugin replay`: replays against a data folder no daemon is using.
pub fn replay_offline(
    data: &Path,
    council: &CouncilId,
    plugin_bytes: &[u8],
    participant: Option<ParticipantId>,
    limit: usize,
) -> anyhow::Result<ReplayReport> {
    let lock = DataFolderLock::acquire(data).context(
        "replay reads the store directly, so the daemon must be stopped first; \
         while it runs, use POST /v1/councils/{council}/plugin/versions/{digest}/replay",
    )?;
    // The journeys are sealed: the same master key as the daemon's (its environment).
    let key_file = std::env::var_os("WAYMARK_DATA_KEY_FILE").map(std::path::PathBuf::from);
    let (key, _) = crate::store::DataKey::resolve(
        std::env::var(crate::store::DATA_KEY_ENV).ok().as_deref(),
        key_file.as_deref(),
        data,
    )?;
    let store = Store::open_sealed(data, &lock, key)
        .with_context(|| format!("opening the store in {}", data.display()))?;
    let council = store.council(council)?.with_context(|| {
        format!(
            "no council `{council}` in {}: check --council and --data",
            data.display()
        )
    })?;
    let engine = EngineSettings {
        pooled_instances: 0,
        ..EngineSettings::default()
    };
    let policies = Policies::new(&engine, Limits::default())?;
    let plugin = policies
        .load(plugin_bytes)
        .context("the plugin to replay against was not accepted")?;
    Ok(replay(&store, &council, &plugin, participant, limit)?)
}
