//! The real binary in tmux: while the dump result panel is up, keys meant for the view behind
//! it do nothing there (Enter used to open a thread detail hidden behind the panel).

mod live_support;
mod tmux_support;

use live_support::{require_tool, Target};
use std::process::{Command, Stdio};
use tmux_support::Tmux;

#[test]
fn keys_stay_with_the_dump_panel_until_esc() {
    if !require_tool("tmux") || !require_tool("python3") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let stderr = std::fs::File::create(dir.path().join("stderr")).expect("stderr file");
    // A Python process that dumps its threads on SIGUSR1 (faulthandler) to a regular file.
    let mut command = Command::new("python3");
    command
        .args([
            "-c",
            "import faulthandler,signal,time\n\
             faulthandler.register(signal.SIGUSR1, all_threads=True)\n\
             print('ready', flush=True)\n\
             time.sleep(1000)",
        ])
        .stderr(Stdio::from(stderr));
    let target = Target::start(command, "ready");
    let pid = target.pid();
    let tmux = Tmux::start();
    tmux.line(&format!("{} -p {pid}", env!("CARGO_BIN_EXE_healthtop")));
    tmux.wait_for(&["[1 Overview]"]);
    tmux.keys(&["2"]);
    tmux.wait_for(&["[2 Threads]", "WCHAN"]);
    tmux.keys(&["D"]);
    tmux.wait_for(&["y: send"]);
    tmux.keys(&["y"]);
    tmux.wait_for(&["Esc closes"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&["the dump panel is open: Esc closes it"]);
    assert!(
        !screen.contains("Esc to go back"),
        "no thread detail: {screen}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_until("the panel closed", |s| !s.contains("Esc closes"));
    // Keys reach the view again.
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["Esc to go back"]);
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
}
