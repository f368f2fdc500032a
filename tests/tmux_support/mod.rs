//! The real binary in tmux, shared by the end-to-end tests: keys go in with `send-keys`, the
//! screen comes back with `capture-pane`, polled until the expected text shows.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// One tmux server on a private socket, one 160×48 session running bash.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start() -> Tmux {
        // One server per test: tests run in parallel threads of one process.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux {
            socket: format!("healthtop-e2e-{}-{n}", std::process::id()),
        };
        let status = tmux
            .cmd()
            .args(["new-session", "-d", "-x", "160", "-y", "48", "-s", "e2e"])
            .args([
                "env",
                "PS1=$ ",
                "TERM=xterm-256color",
                "bash",
                "--norc",
                "--noprofile",
            ])
            .status()
            .expect("start tmux");
        assert!(status.success());
        tmux
    }
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }
    pub fn keys(&self, keys: &[&str]) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", "e2e"])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }
    /// Types `text` literally (no key names).
    pub fn text(&self, text: &str) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", "e2e", "-l", text])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }
    /// Types `text` and Enter.
    pub fn line(&self, text: &str) {
        self.text(text);
        self.keys(&["Enter"]);
    }
    pub fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "e2e"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    pub fn display(&self, format: &str) -> String {
        let out = self
            .cmd()
            .args(["display-message", "-p", "-t", "e2e", format])
            .output()
            .expect("display");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
    /// Polls the screen until every needle shows; fails with the screen after 60 s.
    pub fn wait_for(&self, needles: &[&str]) -> String {
        self.wait_until(&format!("{needles:?}"), |screen| {
            needles.iter().all(|n| screen.contains(n))
        })
    }
    /// Polls the screen until `ready` holds; fails with the screen after 60 s.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited 60 s for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    /// Polls until healthtop is no longer a child of the pane's shell.
    pub fn wait_healthtop_gone(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.healthtop_pid().is_some() {
            assert!(
                Instant::now() < deadline,
                "healthtop did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    pub fn healthtop_pid(&self) -> Option<i32> {
        let shell = self.display("#{pane_pid}");
        let children =
            std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).ok()?;
        children
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .find(|pid: &i32| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "healthtop")
            })
    }
    /// The shell runs commands again, the terminal is in cooked mode with echo, and tmux shows
    /// the main screen, not the alternate one.
    pub fn assert_terminal_restored(&self, marker: u32) {
        self.line(&format!(
            "if stty -a | grep -qw -e -icanon -e -echo; then echo RAW-$(({marker}+1)); else echo COOKED-$(({marker}+1)); fi"
        ));
        let screen = self.wait_for(&[&format!("-{}", marker + 1)]);
        assert!(
            screen.contains(&format!("COOKED-{}", marker + 1)),
            "terminal left raw:\n{screen}"
        );
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "alternate screen still on"
        );
    }
    pub fn screen_with_escapes(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-e", "-p", "-t", "e2e"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}
