//! An answer measured as it is lifted out of the plugin's memory, before it is copied.
//!
//! The generated bindings would lift a whole answer into host memory (every string,
//! every list element) before anything could look at its size: 2 million reasons
//! in 30 MiB of guest memory cost the host several times that. The result types
//! the host calls the exports with use [`CappedString`] and [`CappedList`] instead,
//! which read a string's or list's length from guest memory and charge it against
//! the answer's budget *before* copying it. Once the budget is spent the lift stops
//! with [`AnswerTooLarge`], having copied at most the budget.
//!
//! The charge is a lower bound of the answer's size as JSON (what the council's
//! `max_output_bytes` limits): a string's bytes, and two bytes per list element
//! (the least any element takes: `""`, `{}` or a separator). So an answer refused
//! here would be refused by the exact JSON measure afterwards too; one that passes
//! here is still measured exactly after the lift (`answer.rs`).
//!
//! The wrappers forward the canonical ABI to wasmtime's own `String` and `Vec`
//! implementations, through the hidden trait items its derive macros use
//! (`wasmtime::component::__internal`). Those are pinned by the lock file; a
//! wasmtime upgrade that changes them fails to compile here, not at run time.

use std::cell::Cell;

use wasmtime::component::__internal::{CanonicalAbiInfo, InstanceType, InterfaceType, LiftContext};
use wasmtime::component::{ComponentType, Lift};

/// The answer's lift went past its budget: the council's `max_output_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the answer is over the {limit}-byte limit")]
pub(crate) struct AnswerTooLarge {
    pub(crate) limit: usize,
}

/// What was lifted of an answer: its strings' bytes and its lists' elements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Lifted {
    pub(crate) string_bytes: usize,
    pub(crate) elements: usize,
}

impl Lifted {
    /// The most bytes the answer can take as JSON. A string's byte is at most 6
    /// (`\u001f`); everything else is fixed per record: field names, punctuation,
    /// enum names and dates, far under [`RECORD_JSON_BYTES`] for any record of the
    /// contract, and each record is a list element or the answer itself. When this
    /// is within the cap, the exact measure (which writes the whole answer out as
    /// JSON) can be skipped.
    pub(crate) fn json_upper_bound(&self) -> usize {
        self.string_bytes.saturating_mul(6).saturating_add(
            self.elements
                .saturating_add(1)
                .saturating_mul(RECORD_JSON_BYTES),
        )
    }
}

/// More than any one record of the contract takes as JSON, its strings aside.
const RECORD_JSON_BYTES: usize = 256;

thread_local! {
    /// The budget of the answer being lifted on this thread: (limit, bytes left).
    /// Lifting is synchronous, inside the export call [`within_budget`] wraps.
    static BUDGET: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
    /// What the answer being lifted on this thread has lifted so far.
    static LIFTED: Cell<Lifted> = const { Cell::new(Lifted { string_bytes: 0, elements: 0 }) };
}

/// Runs `call` (one export call) with an answer budget of `limit` bytes, and says
/// what it lifted. Outside one, a capped type refuses everything: it must never be
/// lifted unmeasured.
pub(crate) fn within_budget<R>(limit: usize, call: impl FnOnce() -> R) -> (R, Lifted) {
    struct Reset(Option<(usize, usize)>, Lifted);
    impl Drop for Reset {
        fn drop(&mut self) {
            BUDGET.set(self.0);
            LIFTED.set(self.1);
        }
    }
    let _reset = Reset(
        BUDGET.replace(Some((limit, limit))),
        LIFTED.replace(Lifted::default()),
    );
    let result = call();
    (result, LIFTED.get())
}

/// Charges `bytes` to the answer's budget, or refuses the answer.
fn charge(bytes: usize) -> wasmtime::Result<()> {
    let (limit, left) = BUDGET.get().unwrap_or((0, 0));
    match left.checked_sub(bytes) {
        Some(left) => {
            BUDGET.set(Some((limit, left)));
            Ok(())
        }
        None => {
            BUDGET.set(Some((limit, 0)));
            Err(wasmtime::Error::new(AnswerTooLarge { limit }))
        }
    }
}

/// Charges a string of `len` bytes.
fn charge_string(len: usize) -> wasmtime::Result<()> {
    charge(len)?;
    let mut lifted = LIFTED.get();
    lifted.string_bytes = lifted.string_bytes.saturating_add(len);
    LIFTED.set(lifted);
    Ok(())
}

/// Charges a list of `len` elements.
fn charge_list(len: usize) -> wasmtime::Result<()> {
    charge(len.saturating_mul(ELEMENT_FLOOR))?;
    let mut lifted = LIFTED.get();
    lifted.elements = lifted.elements.saturating_add(len);
    LIFTED.set(lifted);
    Ok(())
}

/// The JSON bytes a list element takes at the least.
const ELEMENT_FLOOR: usize = 2;

/// The length half of a lowered string or list: `(pointer, length)`, as two flat
/// values or as two little-endian `u32`s in memory.
fn length_in_memory(bytes: &[u8]) -> usize {
    let len = bytes
        .get(4..8)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(u32::MAX, u32::from_le_bytes);
    len as usize
}

/// A string of the plugin's answer, copied only once its length was charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CappedString(pub(crate) String);

// SAFETY: every item forwards to `String`'s implementation, so the lowered
// representation and ABI are exactly a string's.
unsafe impl ComponentType for CappedString {
    type Lower = <String as ComponentType>::Lower;
    const ABI: CanonicalAbiInfo = <String as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <String as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: as above; the length is read only to charge it, then `String` lifts.
unsafe impl Lift for CappedString {
    fn linear_lift_from_flat(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        // Lowered as (pointer, length); a UTF-16 length is in code units, each of
        // which is at least one byte of UTF-8.
        charge_string(src[1].get_u32() as usize)?;
        String::linear_lift_from_flat(cx, ty, src).map(CappedString)
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        charge_string(length_in_memory(bytes))?;
        String::linear_lift_from_memory(cx, ty, bytes).map(CappedString)
    }
}

/// A list of the plugin's answer, copied only once its length was charged (and
/// each element charges its own strings as it is lifted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CappedList<T>(pub(crate) Vec<T>);

// SAFETY: every item forwards to `Vec<T>`'s implementation.
unsafe impl<T: ComponentType> ComponentType for CappedList<T> {
    type Lower = <Vec<T> as ComponentType>::Lower;
    const ABI: CanonicalAbiInfo = <Vec<T> as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <Vec<T> as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: as above; the length is read only to charge it, then `Vec<T>` lifts.
unsafe impl<T: Lift> Lift for CappedList<T> {
    fn linear_lift_from_flat(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        charge_list(src[1].get_u32() as usize)?;
        Vec::<T>::linear_lift_from_flat(cx, ty, src).map(CappedList)
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        charge_list(length_in_memory(bytes))?;
        Vec::<T>::linear_lift_from_memory(cx, ty, bytes).map(CappedList)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_spent_then_refuses_and_is_reset_after() {
        let _ = within_budget(10, || {
            assert!(charge(6).is_ok());
            assert!(charge(4).is_ok());
            let err = charge(1).unwrap_err();
            assert_eq!(
                err.downcast_ref::<AnswerTooLarge>(),
                Some(&AnswerTooLarge { limit: 10 })
            );
        });
        assert!(charge(1).is_err(), "outside a budget nothing is lifted");
    }

    /// The bound holds for the worst strings there are (each byte escaped to six)
    /// and for records of empty strings, in every answer of the contract.
    #[test]
    fn the_json_upper_bound_is_never_below_the_exact_size() {
        use crate::policy::answer::json_size;
        use crate::policy::contract::{
            ContactDecision, Destination, Eligibility, Handover, Plan, PlannedTimer as Timer,
            Reason, TimerKind,
        };
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date");
        for text in [String::new(), "\u{1}".repeat(300), "é\"\\\n".repeat(50)] {
            let reason = || Reason::new(text.clone(), text.clone());
            let reasons = |n| (0..n).map(|_| reason()).collect::<Vec<_>>();
            let timer = || Timer::new(TimerKind::FirstEmployerContact, day, text.clone());
            // (exact JSON size, strings' bytes, list elements)
            let answers = [
                {
                    let mut e = Eligibility::accept(reasons(3));
                    e.signpost = Some(text.clone());
                    (json_size(&e, usize::MAX), text.len() * 7, 3)
                },
                (
                    json_size(
                        &Plan {
                            timers: (0..20).map(|_| timer()).collect(),
                            reasons: reasons(4),
                        },
                        usize::MAX,
                    ),
                    text.len() * 28,
                    24,
                ),
                (
                    json_size(&ContactDecision::outreach(timer(), reasons(2)), usize::MAX),
                    text.len() * 5,
                    2,
                ),
                (
                    json_size(
                        &Handover::new(
                            Destination::NhsTalkingTherapies,
                            (0..5).map(|_| text.clone()),
                            reasons(2),
                        ),
                        usize::MAX,
                    ),
                    text.len() * 9,
                    7,
                ),
            ];
            for (exact, string_bytes, elements) in answers {
                let bound = Lifted {
                    string_bytes,
                    elements,
                }
                .json_upper_bound();
                assert!(exact <= bound, "{exact} > {bound} for {text:?}");
            }
        }
    }

    #[test]
    fn a_lowered_length_is_read_little_endian() {
        assert_eq!(length_in_memory(&[0, 0, 0, 0, 1, 1, 0, 0]), 257);
        assert_eq!(length_in_memory(&[0, 0]), u32::MAX as usize);
    }
}
