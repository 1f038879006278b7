//! `convflux`: thin entry point. Parse the arguments, dispatch to a
//! subcommand, map the outcome to an exit code (0 ok, 1 data errors,
//! 2 usage or internal error).

use std::process::ExitCode;

use clap::FromArgMatches;

fn main() -> ExitCode {
    let parse = convflux::cli::commande()
        .try_get_matches()
        .and_then(|m| convflux::cli::Cli::from_arg_matches(&m));
    let cli = match parse {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match convflux::commands::executer(cli) {
        Ok(convflux::commands::Issue::Succes) => ExitCode::SUCCESS,
        Ok(convflux::commands::Issue::ErreursDeDonnees) => ExitCode::from(1),
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::from(2)
        }
    }
}
