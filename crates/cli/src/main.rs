//! The `liner-sync` binary (declared by the root package so end-to-end tests
//! can find it through `CARGO_BIN_EXE_liner-sync`).

fn main() -> std::process::ExitCode {
    liner_sync_cli::main()
}
