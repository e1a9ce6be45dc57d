//! Fuzz target: parsing any bytes as a policy never panics; it gives declarations and diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let _ = policy::syntax::parse(&source);
});
