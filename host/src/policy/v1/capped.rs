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

thread_local! {
    /// The budget of the answer being lifted on this thread: (limit, bytes left).
    /// Lifting is synchronous, inside the export call [`within_budget`] wraps.
    static BUDGET: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

/// Runs `call` (one export call) with an answer budget of `limit` bytes. Outside
/// one, a capped type refuses everything: it must never be lifted unmeasured.
pub(crate) fn within_budget<R>(limit: usize, call: impl FnOnce() -> R) -> R {
    struct Reset(Option<(usize, usize)>);
    impl Drop for Reset {
        fn drop(&mut self) {
            BUDGET.set(self.0);
        }
    }
    let _reset = Reset(BUDGET.replace(Some((limit, limit))));
    call()
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
        charge(src[1].get_u32() as usize)?;
        String::linear_lift_from_flat(cx, ty, src).map(CappedString)
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        charge(length_in_memory(bytes))?;
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
        charge((src[1].get_u32() as usize).saturating_mul(ELEMENT_FLOOR))?;
        Vec::<T>::linear_lift_from_flat(cx, ty, src).map(CappedList)
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        charge(length_in_memory(bytes).saturating_mul(ELEMENT_FLOOR))?;
        Vec::<T>::linear_lift_from_memory(cx, ty, bytes).map(CappedList)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_spent_then_refuses_and_is_reset_after() {
        within_budget(10, || {
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

    #[test]
    fn a_lowered_length_is_read_little_endian() {
        assert_eq!(length_in_memory(&[0, 0, 0, 0, 1, 1, 0, 0]), 257);
        assert_eq!(length_in_memory(&[0, 0]), u32::MAX as usize);
    }
}
