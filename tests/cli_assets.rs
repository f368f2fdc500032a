//! The shell completions and the man page shipped under `assets/` are generated from the clap
//! definitions; this fails when they are stale (regenerate as the message says).

use clap_complete::Shell;
use healthtop::cmd::completions::{man_page, script};

fn assert_fresh(relative: &str, generated: &[u8], regenerate: &str) {
    let path = format!("{}/assets/{relative}", env!("CARGO_MANIFEST_DIR"));
    let on_disk = std::fs::read(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "assets/{relative} is stale: run `cargo run -- {regenerate} > assets/{relative}`"
    );
}

#[test]
fn completions_are_generated_from_the_cli_and_up_to_date() {
    for (shell, file) in [
        (Shell::Bash, "completions/healthtop.bash"),
        (Shell::Zsh, "completions/_healthtop"),
        (Shell::Fish, "completions/healthtop.fish"),
    ] {
        let generated = script(shell);
        assert!(
            String::from_utf8_lossy(&generated).contains("stacks"),
            "{shell}: every subcommand is offered"
        );
        assert_fresh(file, &generated, &format!("completions {shell}"));
    }
}

#[test]
fn man_page_is_generated_from_the_cli_and_up_to_date() {
    let page = man_page().expect("renders");
    let text = String::from_utf8_lossy(&page);
    assert!(
        text.starts_with(".ie") || text.contains(".TH healthtop 1"),
        "{text}"
    );
    assert!(text.contains("completions"), "lists the subcommands");
    assert_fresh("healthtop.1", &page, "manpage");
}

#[test]
fn the_binary_prints_what_is_shipped() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, script(Shell::Bash));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .args(["completions", "tcsh"])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}
