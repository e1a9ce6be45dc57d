//! Broken data never loses a record (issue 7): every file under `tests/hostile/` is decided with
//! the Rizhao policy, and its whole output — exit code, lines, messages, summary — is a
//! snapshot. Whatever the file, every data row comes out once: as a decision, as an error line
//! naming its row, column, raw value and what was expected, or (a row blank in every cell) in
//! the count of blank rows. A file that cannot be read at all is one error line, nothing on
//! standard output, and exit code 1 (as for a rejected row: nothing could be decided).

mod common;

use common::{policy, scratch};

const RIZHAO: &str = "policies/rizhao-2022.policy";

fn eval(file: &str, jobs: &str) -> (i32, String, String) {
    policy(&["eval", RIZHAO, file, "--as-of", "2024-06-30", "--summary", "--jobs", jobs])
}

/// `rows read: N, decided: D, rejected: R, blank: B` from the summary.
fn summary_counts(err: &str) -> Option<[usize; 4]> {
    let line = err.lines().find(|line| line.starts_with("rows read:"))?;
    let numbers: Vec<usize> = line.split(',').filter_map(|part| part.rsplit(' ').next()?.parse().ok()).collect();
    numbers.try_into().ok()
}

#[test]
fn every_hostile_file_accounts_for_every_row() {
    insta::glob!("hostile/*.csv", |path| {
        // Relative, so that the messages (and snapshots) do not depend on where the clone is.
        let file = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().to_str().unwrap();
        let (code, out, err) = eval(file, "1");
        let data_lines = std::fs::read(path)
            .map(|bytes| String::from_utf8_lossy(&bytes).lines().skip(1).filter(|line| !line.is_empty()).count())
            .unwrap();
        match summary_counts(&err) {
            Some([read, decided, rejected, blank]) => {
                assert_eq!(code, i32::from(rejected > 0), "exit 1 exactly when a row was rejected");
                assert_eq!(out.lines().count(), decided + rejected, "one line per decided or rejected row");
                assert_eq!(read, decided + rejected + blank);
                assert_eq!(read, data_lines, "every row of the file is counted");
                let errors = out.lines().filter(|line| line.contains("\"error\"")).count();
                assert_eq!(errors, rejected);
            }
            None => {
                assert_eq!(code, 1, "no summary only when the file as a whole cannot be read");
                assert!(out.is_empty() && err.starts_with("error: "), "{err}");
            }
        }
        let (_, two_threads, _) = eval(file, "2");
        assert_eq!(out, two_threads, "the same lines with two threads");
        insta::assert_snapshot!(format!(
            "exit code {code}\n--- standard output ---\n{out}--- standard error ---\n{err}"
        ));
    });
}

#[test]
fn a_truncated_workbook_is_one_error_with_advice() {
    let path = scratch("truncated.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "统一社会信用代码").unwrap();
    sheet.write_string(1, 0, "9137110AY4CL12TH30").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (code, out, err) = eval(path.to_str().unwrap(), "1");
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("truncated.xlsx"), "{err}");
    assert!(err.contains("workbook") || err.contains("Excel"), "{err}");
}

#[test]
fn strict_stops_at_the_duplicate() {
    let (code, out, err) =
        policy(&["eval", RIZHAO, "tests/hostile/duplicate-key.csv", "--as-of", "2024-06-30", "--strict"]);
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 4, "three decisions and the duplicate's error line");
    assert!(err.contains("an earlier row has the same key"), "{err}");
}

/// `explain` treats a key twice as `eval` does: `--id` refuses to pick one of the two rows,
/// `--all` explains the first and refuses the second.
#[test]
fn explain_refuses_a_key_on_two_rows() {
    let file = "tests/hostile/duplicate-key.csv";
    let (code, out, err) = policy(&["explain", RIZHAO, file, "--id", "9137110AY4CL12TH30", "--as-of", "2024-06-30"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("rows 2 and 5 of tests/hostile/duplicate-key.csv both have the key 9137110AY4CL12TH30"),
        "{err}"
    );
    let (code, out, err) = policy(&["explain", RIZHAO, file, "--all", "--as-of", "2024-06-30", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 3, "the three distinct records");
    assert!(err.contains(&format!("row 5 (9137110AY4CL12TH30): {}", policy::data::DUPLICATE_KEY)), "{err}");
}
