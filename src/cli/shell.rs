//! What the shell needs of the command line: completion scripts and the man page, generated from the
//! same definitions as the parser, so they never disagree with it.
use clap::CommandFactory;
use std::io::Write;
use std::process::ExitCode;

/// The completion script for `shell`, to standard output.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut super::Cli::command(), "watchpost", &mut script);
    emit(&script, "completion script")
}

/// The man page, in roff, to standard output.
pub fn man() -> ExitCode {
    let mut page = Vec::new();
    match clap_mangen::Man::new(super::Cli::command()).render(&mut page) {
        Ok(()) => emit(&page, "man page"),
        Err(e) => {
            eprintln!("error: cannot write the man page: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `bytes` to standard output; a reader that stopped early (`| head`) is no error.
fn emit(bytes: &[u8], what: &str) -> ExitCode {
    match std::io::stdout().lock().write_all(bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the {what}: {e}");
            ExitCode::FAILURE
        }
    }
}
