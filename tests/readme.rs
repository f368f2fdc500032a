//! The README documents every exit code the binary can return.

use healthtop::exit::ExitCode;

#[test]
fn every_exit_code_is_in_the_readme() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    for (code, _) in ExitCode::ALL {
        let row = format!("| {} |", code.code());
        assert!(
            readme.contains(&row),
            "README lacks the row for exit code {}",
            code.code()
        );
    }
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .arg("--help")
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    for (code, meaning) in ExitCode::ALL {
        assert!(
            help.contains(&format!("{}  {meaning}", code.code())),
            "--help lacks exit code {}",
            code.code()
        );
    }
}
