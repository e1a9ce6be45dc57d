//! Explanations as self-contained HTML pages (no external assets, no scripts), printable on A4.

use super::{Explanation, Summary};

/// One record's explanation as a whole page.
pub fn record_page(explanation: &Explanation) -> String {
    report_page(None, std::slice::from_ref(explanation))
}

/// A whole file: the summary table at the top, linking to each record's explanation.
pub fn report_page(summary: Option<&Summary>, explanations: &[Explanation]) -> String {
    let _ = (summary, explanations);
    String::new()
}
