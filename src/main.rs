//! The `policy` binary: hands the command line to [`policy::cli::run`].

use std::io::IsTerminal;

fn main() {
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let colour = std::io::stderr().is_terminal();
    let code = policy::cli::run(arguments, &mut std::io::stdout().lock(), &mut std::io::stderr().lock(), colour);
    std::process::exit(code);
}
