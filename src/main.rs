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
            // Help and version are built in French (`cli::commande`), usage
            // errors rendered in French from their kind (`cli::Francais`).
            let e = e.apply::<convflux::cli::Francais>();
            let couleur = convflux::cli::Couleur::des_arguments(std::env::args_os());
            if !e.use_stderr() {
                if couleur.active_sur_stdout() {
                    print!("{}", e.render().ansi());
                } else {
                    print!("{}", e.render());
                }
                return ExitCode::SUCCESS;
            }
            // Coloured as convflux's own diagnostics: `--couleur`, NO_COLOR,
            // a terminal (the Display of clap's text strips its styles).
            if couleur.active() {
                eprint!("{}", e.render().ansi());
            } else {
                eprint!("{}", e.render());
            }
            return ExitCode::from(2);
        }
    };
    match convflux::commands::executer(cli) {
        Ok(convflux::commands::Issue::Succes) => ExitCode::SUCCESS,
        Ok(convflux::commands::Issue::ErreursDeDonnees) => ExitCode::from(1),
        // The reader of our output went away (`convflux manuel | head`): not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Paths in the message may carry control characters: escaped.
            eprintln!(
                "erreur : {}",
                convflux::diagnostic::affichable(&convflux::input::en_francais(&e))
            );
            ExitCode::from(2)
        }
    }
}
