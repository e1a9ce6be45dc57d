//! Fuzz target: formatting any text never panics, and formatting what it formatted changes
//! nothing (`fmt` checks for itself that the meaning and the comments are kept).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    if let Ok(once) = policy::fmt::format(&source) {
        let twice = policy::fmt::format(&once);
        assert_eq!(twice.as_ref(), Ok(&once), "formatting the formatted text changed it");
    }
});
