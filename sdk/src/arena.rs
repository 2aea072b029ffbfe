//! The plugin's memory allocator in the sandbox: a bump arena.
//!
//! Every decision runs in a fresh instance that the host throws away afterwards,
//! so nothing a decision allocates is ever reused by another: allocating is a
//! pointer bump, freeing the newest allocation takes it back (so a string or list
//! being built grows in place), and everything else goes with the instance.
//!
//! The heap starts in the headroom `waymark plugin build` links into the plugin's
//! initial memory (`--initial-heap`, see the host's `policy/package.rs`), so a
//! decision normally never grows its memory: a grown memory costs the host two
//! `mprotect` calls per decision, more than the decision itself. Past the headroom
//! the arena grows memory like any allocator, up to the council's memory limit.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

/// A WebAssembly page.
const PAGE: usize = 65536;

/// The arena: the next free byte and the end of memory. Both 0 until first use.
pub struct Arena {
    next: Cell<usize>,
    end: Cell<usize>,
}

// SAFETY: a plugin is a single-threaded wasm32 module (no `threads` feature), so
// the cells are never touched from two threads.
unsafe impl Sync for Arena {}

unsafe extern "C" {
    /// Where the linker put the start of the heap, after the stack and the data.
    static __heap_base: u8;
}

impl Arena {
    pub const fn new() -> Arena {
        Arena {
            next: Cell::new(0),
            end: Cell::new(0),
        }
    }

    /// The next free byte, finding the heap on first use.
    fn next(&self) -> usize {
        if self.end.get() == 0 {
            // Only the symbol's address is taken, never its contents.
            let base = core::ptr::addr_of!(__heap_base) as usize;
            self.next.set(base);
            self.end.set(wasm32::memory_size::<0>() * PAGE);
        }
        self.next.get()
    }

    /// Makes memory end at `end` or later, growing it if need be.
    fn reach(&self, end: usize) -> bool {
        if end <= self.end.get() {
            return true;
        }
        let pages = (end - self.end.get()).div_ceil(PAGE);
        if wasm32::memory_grow::<0>(pages) == usize::MAX {
            return false;
        }
        self.end.set(self.end.get() + pages * PAGE);
        true
    }

    fn bump(&self, layout: Layout) -> *mut u8 {
        let Some(start) = self.next().checked_next_multiple_of(layout.align()) else {
            return core::ptr::null_mut();
        };
        match start.checked_add(layout.size()) {
            Some(end) if self.reach(end) => {
                self.next.set(end);
                start as *mut u8
            }
            _ => core::ptr::null_mut(),
        }
    }
}

impl Default for Arena {
    fn default() -> Self {
        Arena::new()
    }
}

// SAFETY: `bump` returns a block of at least `layout.size()` bytes aligned to
// `layout.align()` that no live allocation overlaps (the arena only moves forward,
// and moves back only over the newest block, when it is freed or resized).
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.bump(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // The newest block is taken back; any other stays until the instance goes.
        if ptr as usize + layout.size() == self.next.get() {
            self.next.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as usize;
        if start + layout.size() == self.next.get() {
            // The newest block grows or shrinks where it is.
            return match start.checked_add(new_size) {
                Some(end) if self.reach(end) => {
                    self.next.set(end);
                    ptr
                }
                _ => core::ptr::null_mut(),
            };
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: `layout.align()` is a valid alignment (it came from a Layout) and
        // the caller guarantees `new_size`, rounded up to it, does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let moved = self.bump(new_layout);
        if !moved.is_null() {
            // SAFETY: both blocks are live, at least `layout.size()` long, and the
            // new one lies wholly past the old (the arena only moves forward).
            unsafe { core::ptr::copy_nonoverlapping(ptr, moved, layout.size()) };
        }
        moved
    }
}
