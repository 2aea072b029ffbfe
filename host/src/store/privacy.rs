//! Data protection per participant: export everything held, erase it, legal holds.
//!
//! Trees: `legal_holds` (`council/participant` → [`LegalHold`]) and `erasures`
//! (`council/participant` → [`Erasure`], the anonymous tombstone that keeps counts and
//! dates once the personal data is gone). Erasure is one transaction over every tree
//! that holds the participant: the journey (with the referral's personal details), its
//! pending timers, its decision records (inputs digests and outputs), its actions
//! (pending ones are withdrawn; delivered ones keep only their anonymous fields), and its
//! items in the human-review queue (which hold the reviewer's note), and the answers
//! kept for `Idempotency-Key` retries of its referral and events (which repeat its
//! details). Once that commits and is flushed, the participant's key is destroyed
//! (`sealing.rs`), so the journey's sealed bytes left in sled's log cannot be read.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::readable::{decode_or_note, read_page_with};
use super::sealed_records::envelope;
use super::{
    DamagedRecord, DecisionRecord, Listed, Store, StoreError, action_key, decode, encode, flatten,
    hex_key, journey_key, tx_decode,
};
use crate::access::KeyId;
use crate::council::CouncilId;
use crate::journey::{Event, Journey, ParticipantId, State};
use crate::outbox::{Action, ActionStatus};
use crate::review::ReviewItem;
use crate::schedule::timer::Timer;

/// What a delivered action's purpose reads after its participant is erased.
pub const ERASED_PURPOSE: &str = "(erased)";

/// A legal hold: while it stands, the participant's data cannot be erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LegalHold {
    pub reason: String,
    pub placed_at: DateTime<Utc>,
    pub placed_by: KeyId,
}

/// What remains of an erased participant: no personal data, only counts and dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Erasure {
    pub council: CouncilId,
    pub participant: ParticipantId,
    pub erased_at: DateTime<Utc>,
    pub erased_by: KeyId,
    /// The journey's state when it was erased.
    pub state: Option<State>,
    pub referred_on: Option<NaiveDate>,
    pub last_event_on: Option<NaiveDate>,
    pub events: usize,
    pub decisions: usize,
    pub timers_cancelled: usize,
    pub actions_withdrawn: usize,
    pub actions_redacted: usize,
    /// Human-review queue items removed (open or resolved).
    #[serde(default)]
    pub reviews_removed: usize,
}

/// Everything held about one participant (a subject access export).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ParticipantExport {
    pub council: CouncilId,
    pub participant: ParticipantId,
    pub exported_at: DateTime<Utc>,
    /// The journey's events, the referral's details first; empty once erased.
    #[schemars(with = "Vec<serde_json::Value>")]
    pub events: Vec<Event>,
    pub state: Option<State>,
    pub pending_timers: Vec<Timer>,
    pub actions: Vec<Action>,
    pub decisions: Vec<DecisionRecord>,
    pub legal_hold: Option<LegalHold>,
    pub erasure: Option<Erasure>,
    /// Records that could not be read, by key: this participant's decision records,
    /// and the council's actions (any may be this participant's). Restore them from a
    /// backup and export again.
    pub damaged: Vec<DamagedRecord>,
}

pub enum EraseOutcome {
    Erased(Erasure),
    /// Erased before: the tombstone, unchanged.
    AlreadyErased(Erasure),
    Held(LegalHold),
    Unknown,
}

impl Store {
    fn privacy_trees(&self) -> Result<(sled::Tree, sled::Tree), StoreError> {
        Ok((
            self.db.open_tree("legal_holds")?,
            self.db.open_tree("erasures")?,
        ))
    }

    /// The keys of a participant's items in the human-review queue.
    fn participant_review_keys(
        &self,
        reviews: &sled::Tree,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Vec<sled::IVec>, StoreError> {
        let mut out = Vec::new();
        // A damaged item is logged by key and left: it must not stop the erasure.
        let mut damaged = Vec::new();
        for kv in reviews.scan_prefix(format!("{council}/")) {
            let (k, v) = kv?;
            // A sealed item names its participant in the clear.
            let whose = match envelope(&v) {
                Some(sealed) => Some(sealed.participant),
                None => decode_or_note::<ReviewItem>("reviews", &k, &v, &mut damaged)
                    .map(|i| i.participant),
            };
            if whose == Some(participant) {
                out.push(k);
            }
        }
        Ok(out)
    }

    /// The participant's actions, and the council's that could not be read (logged
    /// by key): a damaged one must not stop an export or erasure (nor so the
    /// retention sweep), though it may be the participant's.
    fn participant_actions(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Listed<Action>, StoreError> {
        read_page_with(
            &self.actions,
            "actions",
            format!("{council}/").as_bytes(),
            None,
            usize::MAX,
            |action: &Action| action.participant == Some(participant),
            |k, v| self.sealing.open_record("actions", k, v),
        )
    }

    pub fn legal_hold(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Option<LegalHold>, StoreError> {
        let (holds, _) = self.privacy_trees()?;
        let key = journey_key(council, participant);
        holds
            .get(&key)?
            .map(|v| decode("legal_holds", &key, &v))
            .transpose()
    }

    pub fn erasure(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Option<Erasure>, StoreError> {
        let (_, erasures) = self.privacy_trees()?;
        let key = journey_key(council, participant);
        erasures
            .get(&key)?
            .map(|v| decode("erasures", &key, &v))
            .transpose()
    }

    /// Places (or replaces) a hold; `false` when the council holds no such journey.
    pub fn put_legal_hold(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
        hold: &LegalHold,
    ) -> Result<bool, StoreError> {
        let (holds, _) = self.privacy_trees()?;
        let key = journey_key(council, participant);
        let record = encode(hold);
        let _writing = self.hold_writes();
        (&self.journeys, &holds)
            .transaction(|(journeys, holds)| {
                if journeys.get(&key)?.is_none() {
                    return Ok(false);
                }
                holds.insert(key.as_slice(), record.as_slice())?;
                Ok(true)
            })
            .map_err(flatten)
    }

    pub fn remove_legal_hold(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
    ) -> Result<Option<LegalHold>, StoreError> {
        let (holds, _) = self.privacy_trees()?;
        let key = journey_key(council, participant);
        let _writing = self.hold_writes();
        holds
            .remove(&key)?
            .map(|v| decode("legal_holds", &key, &v))
            .transpose()
    }

    /// `None` when the council holds nothing about this participant, not even a tombstone.
    pub fn export_participant(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
        now: DateTime<Utc>,
    ) -> Result<Option<ParticipantExport>, StoreError> {
        // The tombstone first: an erasure committing between the two reads then shows
        // as erased (journey gone) rather than as both the events and the tombstone.
        let erased = self.erasure(council, participant)?;
        let journey = self.journey(council, participant)?.map(|(j, _)| j);
        let erasure = match (&journey, erased) {
            (None, None) => self.erasure(council, participant)?,
            (_, erased) => erased,
        };
        if journey.is_none() && erasure.is_none() {
            return Ok(None);
        }
        let actions = self.participant_actions(council, participant)?;
        let decisions = self.decisions(council, participant)?;
        let mut damaged = decisions.damaged;
        damaged.extend(actions.damaged);
        Ok(Some(ParticipantExport {
            council: council.clone(),
            participant,
            exported_at: now,
            state: journey.as_ref().and_then(|j| j.state().ok()),
            events: journey.map(|j| j.events).unwrap_or_default(),
            pending_timers: self.pending_timers(council, participant)?,
            actions: actions.items,
            decisions: decisions.items,
            legal_hold: self.legal_hold(council, participant)?,
            erasure,
            damaged,
        }))
    }

    /// Erases a participant's personal data from every tree, atomically, unless a legal
    /// hold stands. The caller flushes.
    pub fn erase_participant(
        &self,
        council: &CouncilId,
        participant: ParticipantId,
        at: DateTime<Utc>,
        by: &KeyId,
    ) -> Result<EraseOutcome, StoreError> {
        let (holds, erasures) = self.privacy_trees()?;
        let reviews = self.reviews_tree()?;
        let jkey = journey_key(council, participant);
        loop {
            let Some((journey, raw)) = self.journey(council, participant)? else {
                // Finishes an erasure a crash cut short after its transaction.
                self.erase_cap_overrides(council, participant)?;
                return Ok(match self.erasure(council, participant)? {
                    Some(e) => EraseOutcome::AlreadyErased(e),
                    None => EraseOutcome::Unknown,
                });
            };
            let mut decision_prefix = jkey.clone();
            decision_prefix.push(b'/');
            let decision_keys: Vec<sled::IVec> = self
                .decisions
                .scan_prefix(&decision_prefix)
                .keys()
                .collect::<Result<_, _>>()?;
            let actions = self.participant_actions(council, participant)?.items;
            let review_keys = self.participant_review_keys(&reviews, council, participant)?;
            let kept_answer_keys = self.keyed_work_for(participant)?;
            let _writing = self.hold_writes();
            let outcome = (
                &self.journeys,
                &self.journey_timers,
                &self.timers,
                &self.actions,
                &self.decisions,
                &holds,
                &erasures,
                &reviews,
                &self.idem.answers,
            )
                .transaction(
                    |(
                        journeys,
                        journey_timers,
                        timers,
                        actions_tx,
                        decisions,
                        holds,
                        erasures,
                        reviews,
                        kept_answers,
                    )| {
                        // The journey changed since it was read: read everything again.
                        if journeys.get(&jkey)?.as_deref() != Some(raw.as_slice()) {
                            return Err(ConflictableTransactionError::Abort(StoreError::Conflict));
                        }
                        if let Some(v) = holds.get(&jkey)? {
                            let hold: LegalHold = tx_decode("legal_holds", &jkey, &v)?;
                            return Ok(EraseOutcome::Held(hold));
                        }
                        journeys.remove(jkey.as_slice())?;
                        let mut timers_cancelled = 0;
                        if let Some(v) = journey_timers.remove(jkey.as_slice())? {
                            let keys: Vec<String> = tx_decode("journey_timers", &jkey, &v)?;
                            for k in keys {
                                if timers.remove(hex_key(&k))?.is_some() {
                                    timers_cancelled += 1;
                                }
                            }
                        }
                        for k in &decision_keys {
                            decisions.remove(k)?;
                        }
                        let (mut withdrawn, mut redacted) = (0, 0);
                        for action in &actions {
                            let akey = action_key(council, &action.id);
                            let Some(v) = actions_tx.get(&akey)? else {
                                continue;
                            };
                            let mut current: Action = self
                                .open_record("actions", &akey, &v)
                                .map_err(ConflictableTransactionError::Abort)?;
                            if current.status == ActionStatus::Pending {
                                actions_tx.remove(akey)?;
                                withdrawn += 1;
                            } else {
                                // Kept redacted, and unsealed: its key is about to go.
                                current.purpose = ERASED_PURPOSE.to_owned();
                                current.handover = None;
                                actions_tx.insert(akey, encode(&current))?;
                                redacted += 1;
                            }
                        }
                        let mut reviews_removed = 0;
                        for k in &review_keys {
                            if reviews.remove(k)?.is_some() {
                                reviews_removed += 1;
                            }
                        }
                        // A retry's kept answer repeats the participant's details. The
                        // effect itself (which participant, when) stays until it expires,
                        // so a retry finds the participant erased rather than re-referring.
                        for k in &kept_answer_keys {
                            kept_answers.remove(k)?;
                        }
                        let mut erasure = tombstone(&journey, at, by, decision_keys.len()).counts(
                            timers_cancelled,
                            withdrawn,
                            redacted,
                        );
                        erasure.reviews_removed = reviews_removed;
                        erasures.insert(jkey.as_slice(), encode(&erasure))?;
                        Ok(EraseOutcome::Erased(erasure))
                    },
                )
                .map_err(flatten);
            match outcome {
                Err(StoreError::Conflict) => continue,
                Ok(EraseOutcome::Erased(erasure)) => {
                    // Cap-override reasons are free text about this assignment.
                    self.erase_cap_overrides(council, participant)?;
                    // The journey's key goes with it: what the log still holds of the
                    // journey can no longer be opened.
                    self.shred_erased(&jkey, &raw)?;
                    return Ok(EraseOutcome::Erased(erasure));
                }
                other => return other,
            }
        }
    }
}

fn tombstone(journey: &Journey, at: DateTime<Utc>, by: &KeyId, decisions: usize) -> Erasure {
    Erasure {
        council: journey.council.clone(),
        participant: journey.participant,
        erased_at: at,
        erased_by: by.clone(),
        state: journey.state().ok(),
        referred_on: journey.referral().map(|(_, on)| on),
        last_event_on: journey.events.last().map(Event::at),
        events: journey.events.len(),
        decisions,
        timers_cancelled: 0,
        actions_withdrawn: 0,
        actions_redacted: 0,
        reviews_removed: 0,
    }
}

impl Erasure {
    fn counts(mut self, timers: usize, withdrawn: usize, redacted: usize) -> Erasure {
        self.timers_cancelled = timers;
        self.actions_withdrawn = withdrawn;
        self.actions_redacted = redacted;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::Referral;
    use crate::policy::TimerKind;
    use crate::schedule::timer::TimerId;
    use crate::store::JourneyWrite;

    #[test]
    fn a_damaged_action_decision_or_review_does_not_stop_an_export_or_an_erasure() {
        let (_dir, _lock, store) = crate::store::scratch();
        let council: CouncilId = "derby".parse().expect("id");
        let participant = ParticipantId::new_random();
        let on = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        let journey = Journey::refer(council.clone(), participant, on, Referral::example());
        store
            .write_journey(None, JourneyWrite::planned(&journey, &[]))
            .expect("journey");
        let fire_at = on.and_hms_opt(9, 0, 0).expect("time").and_utc();
        let timer = Timer {
            id: TimerId::for_work(&council, participant, TimerKind::Review, on),
            council: council.clone(),
            participant,
            kind: TimerKind::Review,
            due: on,
            fire_at,
            purpose: "review".into(),
        };
        store
            .insert_action(&Action::from_timer(&timer, fire_at))
            .expect("action");
        store
            .put_damaged("actions", "derby/0000000000000000-bad", b"{\"id\":")
            .expect("damage");
        store
            .put_damaged("reviews", "derby/00000000000000000001", b"[")
            .expect("damage");
        let decision = format!("derby/{participant}/00000000000000000001");
        store
            .put_damaged("decisions", &decision, b"{\"hook\":")
            .expect("damage");

        let export = store
            .export_participant(&council, participant, fire_at)
            .expect("export despite damage")
            .expect("held");
        assert_eq!(export.actions.len(), 1);
        let keys: Vec<&str> = export.damaged.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, vec![decision.as_str(), "derby/0000000000000000-bad"]);

        let by = KeyId::retention_sweep();
        match store
            .erase_participant(&council, participant, fire_at, &by)
            .expect("erasure despite damage")
        {
            EraseOutcome::Erased(e) => assert_eq!(e.actions_withdrawn, 1),
            _ => panic!("not erased"),
        }
        assert!(
            store
                .journey(&council, participant)
                .expect("read")
                .is_none()
        );
    }
}
