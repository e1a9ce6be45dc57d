//! The `policy` binary: hands the command line to [`policy::cli::run`].

use std::io::IsTerminal;

fn main() {
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    // Colour only when both streams are a terminal: `explain` writes its coloured tree to
    // standard output, and an explanation redirected to a file must not carry escape codes.
    let colour = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    // The streams are not locked for the whole run: `policy lsp` writes standard output from the
    // language server's writer thread. `eval` writes through its own buffer and the other commands
    // write whole texts, so locking per write costs nothing.
    let code = policy::cli::run(arguments, &mut std::io::stdout(), &mut std::io::stderr(), colour);
    std::process::exit(code);
}
