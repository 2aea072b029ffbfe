//! A hostile plugin that writes its answers straight into the canonical ABI's
//! lowered form instead of going through the generated export glue, as an attacker
//! would to make an answer as large as possible in as little guest memory: a
//! lowered reason is 16 bytes (two pointers and lengths), and every reason can
//! point at the same two bytes of text. So 2 million reasons take 30.5 MiB of the
//! plugin's memory, which the host must refuse without lifting them.
//!
//! The referral's postcode district picks the answer:
//! - `ZE6`: accept, with 2,000,000 reasons `r`/`t`;
//! - `ZE7`: accept, with one reason whose rule id is blank and whose text is 30 MiB;
//! - `ZE8`: a refusal 30 MiB long;
//! - anything else: accept, with one reason `hostile.raw`.
//!
//! The other hooks refuse. Only the exports' core signatures are written by hand;
//! the component's types come from the contract (`wit_bindgen::generate!`).

#[cfg(target_arch = "wasm32")]
mod plugin {
    use core::arch::wasm32;

    wit_bindgen::generate!({
        path: "../../../sdk/wit/v1.1.0",
        world: "council-policy",
    });

    const PAGE: usize = 64 << 10;

    /// Where each export leaves its answer: the lowered `result<_, string>`.
    #[repr(C, align(8))]
    struct ReturnArea([u8; 32]);
    static mut RETURN: ReturnArea = ReturnArea([0; 32]);

    const SCHEMA: &str = "{\"type\":\"object\"}";
    const RULE: &str = "r";
    const TEXT: &str = "t";
    const OK_RULE: &str = "hostile.raw";
    const OK_TEXT: &str = "A raw test plugin";
    const NEVER: &str = "this plugin only decides eligibility";

    /// `bytes` of fresh memory straight from `memory.grow`: no allocator overhead.
    fn grow(bytes: usize) -> *mut u8 {
        let pages = bytes.div_ceil(PAGE);
        let old = wasm32::memory_grow(0, pages);
        if old == usize::MAX {
            core::arch::wasm32::unreachable();
        }
        (old * PAGE) as *mut u8
    }

    fn put(at: usize, value: u32) {
        for (i, byte) in value.to_le_bytes().into_iter().enumerate() {
            put_u8(at + i, byte);
        }
    }

    fn put_u8(at: usize, value: u8) {
        assert!(at < 32);
        // SAFETY: single-threaded, and `at` is within the 32-byte return area.
        unsafe { area().add(at).write(value) };
    }

    fn area() -> *mut u8 {
        (&raw mut RETURN).cast()
    }

    /// `result::err(text)`: discriminant 1, then the string at offset 4.
    fn refuse(ptr: *const u8, len: usize) -> *mut u8 {
        put_u8(0, 1);
        put(4, ptr as u32);
        put(8, len as u32);
        area()
    }

    /// `result::ok(eligibility { accept, reasons, none })`: discriminant 0, the
    /// record at offset 4 (outcome, reasons pointer and length, signpost none).
    fn accept(reasons: *const u8, count: usize) -> *mut u8 {
        put_u8(0, 0);
        put_u8(4, 0);
        put(8, reasons as u32);
        put(12, count as u32);
        put_u8(16, 0);
        area()
    }

    /// `count` lowered reasons, each pointing at `rule` and `text`.
    fn reasons(count: usize, rule: (*const u8, usize), text: (*const u8, usize)) -> *const u8 {
        let base = grow(count * 16);
        let words = base.cast::<u32>();
        for i in 0..count {
            // SAFETY: `grow` gave `count * 16` bytes at `base`, 4-aligned.
            unsafe {
                let at = words.add(i * 4);
                at.write(rule.0 as u32);
                at.add(1).write(rule.1 as u32);
                at.add(2).write(text.0 as u32);
                at.add(3).write(text.1 as u32);
            }
        }
        base
    }

    /// `len` bytes of `b`.
    fn text(len: usize) -> *const u8 {
        let base = grow(len);
        // SAFETY: `grow` gave `len` bytes at `base`.
        unsafe { core::ptr::write_bytes(base, b'b', len) };
        base
    }

    fn district(ptr: *const u8, len: usize) -> &'static [u8] {
        // SAFETY: the host wrote the postcode district there for this call.
        unsafe { core::slice::from_raw_parts(ptr, len) }
    }

    #[unsafe(export_name = "waymark:policy/policy@1.1.0#settings-schema")]
    extern "C" fn settings_schema() -> *mut u8 {
        // Keeps the contract's `component-type` section (and `cabi_realloc`) linked.
        __link_custom_section_describing_imports();
        put(0, SCHEMA.as_ptr() as u32);
        put(4, SCHEMA.len() as u32);
        area()
    }

    /// The flat parameters: settings (2), the referral (route, age, postcode (2),
    /// four flags, cohorts (2), health), the as-of date (3): 16 in all.
    #[unsafe(export_name = "waymark:policy/policy@1.1.0#eligibility")]
    #[allow(clippy::too_many_arguments)]
    extern "C" fn eligibility(
        _settings: *const u8,
        _settings_len: usize,
        _route: i32,
        _age: i32,
        postcode: *const u8,
        postcode_len: usize,
        _in_work: i32,
        _on_uc: i32,
        _known: i32,
        _other: i32,
        _cohorts: i32,
        _cohorts_len: i32,
        _health: i32,
        _year: i32,
        _month: i32,
        _day: i32,
    ) -> *mut u8 {
        match district(postcode, postcode_len) {
            b"ZE6" => accept(
                reasons(2_000_000, (RULE.as_ptr(), 1), (TEXT.as_ptr(), 1)),
                2_000_000,
            ),
            b"ZE7" => accept(reasons(1, ("".as_ptr(), 0), (text(30 << 20), 30 << 20)), 1),
            b"ZE8" => refuse(text(30 << 20), 30 << 20),
            _ => accept(
                reasons(
                    1,
                    (OK_RULE.as_ptr(), OK_RULE.len()),
                    (OK_TEXT.as_ptr(), OK_TEXT.len()),
                ),
                1,
            ),
        }
    }

    /// A journey flattens to more than 16 values, so these take one pointer.
    #[unsafe(export_name = "waymark:policy/policy@1.1.0#plan")]
    extern "C" fn plan(_params: *const u8) -> *mut u8 {
        refuse(NEVER.as_ptr(), NEVER.len())
    }

    #[unsafe(export_name = "waymark:policy/policy@1.1.0#missed-contact")]
    extern "C" fn missed_contact(_params: *const u8) -> *mut u8 {
        refuse(NEVER.as_ptr(), NEVER.len())
    }

    #[unsafe(export_name = "waymark:policy/policy@1.1.0#handover")]
    extern "C" fn handover(_params: *const u8) -> *mut u8 {
        refuse(NEVER.as_ptr(), NEVER.len())
    }
}
