//! Must-show 4: `healthtop rules`, `healthtop rules --markdown` and `docs/rules.md` all come
//! from the one registry; the config file is validated with clear errors.

use healthtop::config::Config;
use healthtop::rules::{catalogue_markdown, REGISTRY};
use std::process::Command;

fn healthtop(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .args(args)
        .env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("healthtop runs")
}

#[test]
fn docs_rules_md_is_generated_from_the_registry_and_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    let on_disk = std::fs::read_to_string(path).expect("docs/rules.md exists");
    let generated = catalogue_markdown(&Config::default());
    assert!(
        on_disk == generated,
        "docs/rules.md is stale: run `healthtop rules --markdown > docs/rules.md`"
    );
    let output = healthtop(&["rules", "--markdown"]);
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), generated);
}

#[test]
fn healthtop_rules_lists_every_rule_with_its_doc_and_thresholds() {
    let output = healthtop(&["rules"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let config = Config::default();
    for rule in REGISTRY {
        let doc = rule.doc();
        for part in [doc.id, doc.title, doc.meaning, doc.threshold, doc.action] {
            assert!(text.contains(part), "{} is missing {part:?}", doc.id);
        }
        for t in rule.thresholds(&config) {
            assert!(
                text.contains(&format!("{} = {}", t.key, t.value)),
                "{} threshold {} missing",
                doc.id,
                t.key
            );
        }
    }
}

#[test]
fn a_config_file_changes_the_thresholds_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[fd_headroom]\nwarn_percent = 70.0\n").expect("write");
    let output = healthtop(&["rules", "--config", path.to_str().expect("utf-8")]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("fd_headroom.warn_percent = 70"), "{text}");
    assert!(text.contains("fd_headroom.crit_percent = 95"), "{text}");
}

#[test]
fn the_xdg_config_file_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("healthtop")).expect("mkdir");
    std::fs::write(
        dir.path().join("healthtop/config.toml"),
        "[d_state]\nwarn_secs = 7\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .arg("rules")
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("d_state.warn_secs = 7"));
}

#[test]
fn a_bad_config_file_is_exit_6_with_the_file_and_key_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.toml");
    for (text, expect) in [
        ("[fd_headroom]\nwarn_percnt = 70.0\n", "warn_percnt"),
        ("[stall]\nwindow_secs = -3\n", "window_secs"),
        (
            "[zombie_children]\nwarn_count = 10\ncrit_count = 5\n",
            "zombie_children.crit_count",
        ),
        ("not toml at all [", "c.toml"),
    ] {
        std::fs::write(&path, text).expect("write");
        let output = healthtop(&["rules", "--config", path.to_str().expect("utf-8")]);
        assert_eq!(output.status.code(), Some(6), "{text}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expect), "{text}: {stderr}");
        assert!(stderr.contains("c.toml"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    let missing = healthtop(&["rules", "--config", "/nonexistent/healthtop.toml"]);
    assert_eq!(missing.status.code(), Some(6));
}

#[test]
fn any_prefix_of_the_default_config_parses_or_fails_cleanly() {
    // A config cut short anywhere (a half-written file) never panics, and an error always
    // names the file.
    let text = healthtop::config::DEFAULT_TOML;
    let path = std::path::Path::new("cut.toml");
    for (end, _) in text.char_indices().step_by(5) {
        if let Err(error) = Config::from_toml_str(&text[..end], path) {
            let message = error.to_string();
            assert!(message.contains("cut.toml"), "{message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }
}
