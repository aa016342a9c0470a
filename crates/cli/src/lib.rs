//! The `liner-sync` command line: configuration, subcommands and output.
#![deny(missing_docs)]

/// `println!` for results on stdout, except that a closed pipe (`liner-sync
/// failed | head`) ends the process quietly instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::output::write_stdout(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` with the same closed-pipe handling as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write_stdout(&format!($($arg)*)) };
}

mod args;
mod commands;
pub mod config;
mod dry_run;
pub mod error;
mod logging;
mod metrics_server;
pub mod output;
mod progress;
pub mod registry;
mod signals;

use args::{Args, Command};
use clap::Parser;
use error::{CliError, exit};
use std::process::ExitCode;

/// Parses the command line, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let quiet_by_default = matches!(args.command, Command::Demo { .. });
    logging::init(
        args.log_format,
        if quiet_by_default {
            "warn"
        } else {
            "warn,liner_sync_core=info,liner_sync_cli=info"
        },
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(&CliError::internal(format!(
                "cannot start the async runtime: {e}"
            )));
        }
    };
    match runtime.block_on(dispatch(args.command, args.log_format)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => fail(&e),
    }
}

async fn dispatch(command: Command, log_format: logging::LogFormat) -> Result<u8, CliError> {
    match command {
        Command::Run {
            config,
            dry_run,
            source,
            json,
        } => {
            let loaded = config::load(&config)?;
            let options = commands::run::RunOptions { dry_run, source };
            let report = commands::run::execute(&loaded, &options).await?;
            let code = output::exit_code(&report);
            if json {
                outln!("{}", output::json(&report));
            } else if dry_run {
                eprint!("{}", output::text(&report, true));
            } else {
                out!("{}", output::text(&report, false));
            }
            Ok(code)
        }
        Command::Backfill {
            config,
            source,
            from,
            to,
            dry_run,
            json,
        } => {
            let loaded = config::load(&config)?;
            let options = commands::backfill::BackfillOptions {
                source,
                from,
                to,
                dry_run,
                log_format,
            };
            let window = commands::backfill::window(&options)?;
            let report = commands::backfill::execute(&loaded, &options).await?;
            if json {
                outln!("{}", output::json(&report));
            } else {
                let line = format!(
                    "backfill {}\n{}",
                    window.cursor_key(&options.source),
                    output::text(&report, dry_run)
                );
                if dry_run {
                    eprint!("{line}")
                } else {
                    out!("{line}")
                }
            }
            Ok(output::exit_code(&report))
        }
        Command::Watch {
            config,
            metrics_addr,
        } => {
            let loaded = config::load(&config)?;
            commands::watch::execute(&loaded, metrics_addr).await
        }
        Command::Failed {
            config,
            source,
            json,
        } => {
            let loaded = config::load(&config)?;
            commands::failed::execute(&loaded, source.as_deref(), json)
        }
        Command::RetryFailed { config, source, id } => {
            let loaded = config::load(&config)?;
            commands::retry_failed::execute(&loaded, source.as_deref(), &id).await
        }
        Command::Status { config, json } => {
            let loaded = config::load(&config)?;
            commands::status::execute(&loaded, json)?;
            Ok(exit::OK)
        }
        Command::Check { config } => {
            let loaded = config::load(&config)?;
            commands::check::execute(&loaded).await
        }
        Command::Demo { deals, json } => commands::demo::execute(deals, json).await,
    }
}

fn fail(e: &CliError) -> ExitCode {
    eprintln!("liner-sync: {e}");
    ExitCode::from(e.code)
}
