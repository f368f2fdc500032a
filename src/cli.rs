//! The command line: clap types only, no behaviour. `main.rs` parses, `cmd/` runs.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// Watch one process and warn before it crashes.
///
/// `healthtop -p PID` opens the terminal UI on PID; `healthtop` alone opens it on a picker of
/// the host's processes, nearest a limit first. The subcommands print one-shot reports,
/// stacks, runtime dumps and snapshot bundles; `scan` ranks every process of the host by how
/// close it is to a limit. Every -p takes a PID or a NAME: a process whose comm or executable
/// is NAME, else whose command line holds NAME as a word; several matches are listed (exit 2),
/// or, in the terminal UI, shown in the picker to choose from.
#[derive(Debug, Parser)]
#[command(name = "healthtop", version, about, long_about = None, after_help = exit_codes_help())]
pub struct Cli {
    /// Process to watch (opens the terminal UI); without it, a picker of the host's processes.
    #[arg(short, long, value_name = "PID|NAME", allow_hyphen_values = true)]
    pub pid: Option<String>,
    /// Time between samples (500ms … 30s).
    #[arg(short, long, value_name = "DURATION", default_value = "1s", value_parser = parse_interval)]
    pub interval: Duration,
    /// Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a health report of one process (once, or after watching it for a while).
    Report(ReportArgs),
    /// Rank every process of the host by how close it is to a limit (fds, threads, memory,
    /// address space); watched, by when it reaches it.
    Scan(ScanArgs),
    /// Start healthtop's own misbehaving demo target and watch it.
    Demo(DemoArgs),
    /// Print every thread's native stack once (like eu-stack), without harming the target.
    Stacks(StacksArgs),
    /// Sample every thread's stack for a while and write a flame graph (SVG + folded stacks).
    Record(RecordArgs),
    /// List every health rule with what it means, when it fires and its thresholds.
    Rules(RulesArgs),
    /// Write a snapshot bundle (one .tar.gz) of a process, to open later or elsewhere.
    Bundle(BundleArgs),
    /// Open a snapshot bundle in the interactive view, read-only, and step through its samples.
    View(ViewArgs),
    /// Ask a JVM, Go or Python process (or any program that dumps on a signal) for a dump of
    /// its threads, the safe way for its runtime.
    Dump(DumpArgs),
    /// Print a shell completion script (bash, zsh, fish, …) generated from these definitions.
    Completions(CompletionsArgs),
    /// Print the man page (roff, as shipped in assets/healthtop.1).
    Manpage,
    /// Expose the headroom, forecasts and findings of processes to Prometheus on /metrics
    /// (read-only: never captures stacks, never sends a signal).
    Serve(ServeArgs),
    /// Run the demo target itself (used by `healthtop demo`).
    #[command(hide = true)]
    DemoTarget,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for (install: see assets/completions/).
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Process to report on.
    #[arg(
        short,
        long,
        value_name = "PID|NAME",
        allow_hyphen_values = true,
        required_unless_present = "from"
    )]
    pub pid: Option<String>,
    /// Print the report stored in a bundle instead of reading a live process.
    #[arg(long, value_name = "FILE", conflicts_with = "pid")]
    pub from: Option<PathBuf>,
    /// Print one JSON object (schema healthtop.report/1) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Sample for this long, then report with trend findings (ETAs need a window: try 30s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "from")]
    pub watch: Option<Duration>,
    /// Time between samples while watching (500ms … 30s).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_interval, requires = "watch")]
    pub interval: Duration,
    /// Go pprof endpoint (http://127.0.0.1:6060) for the goroutine count while watching,
    /// instead of discovering it among the target's loopback listeners.
    #[arg(long, value_name = "URL", requires = "watch")]
    pub pprof: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; 0.0.0.0:PORT or [::]:PORT to serve other hosts.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9466", value_parser = parse_listen)]
    pub listen: std::net::SocketAddr,
    /// Process to watch, by PID or name (every process the name means); repeat for more.
    /// Resolved again every interval: a process that exits disappears from the metrics, a new
    /// one holding the PID or the name appears with new series.
    #[arg(short, long, value_name = "PID|NAME", allow_hyphen_values = true)]
    pub pid: Vec<String>,
    /// Also watch the processes of the host nearest a limit (as `healthtop scan` ranks
    /// them), chosen again every interval.
    #[arg(long)]
    pub scan: bool,
    /// With --scan: how many processes.
    #[arg(long, value_name = "N", default_value = "10", requires = "scan", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub top: u32,
    /// Time between readings of every watched process (500ms … 30s).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_interval)]
    pub interval: Duration,
    /// TLS and basic auth, in the web config format of Prometheus exporters (YAML:
    /// tls_server_config.cert_file/key_file, basic_auth_users with bcrypt hashes).
    #[arg(long, value_name = "FILE")]
    pub web_config: Option<PathBuf>,
}

/// Parses `ADDR:PORT` (`127.0.0.1:9466`, `[::1]:9466`, `localhost:9466`); no name lookups.
pub fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    let local = text
        .strip_prefix("localhost:")
        .map(|port| format!("127.0.0.1:{port}"));
    local
        .as_deref()
        .unwrap_or(text)
        .parse()
        .map_err(|_| "expected ADDR:PORT, such as 127.0.0.1:9466 or [::1]:9466".to_string())
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Print one JSON object (schema healthtop.scan/1) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Show only the N processes nearest a limit.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub top: Option<u32>,
    /// Only processes of this user (name or uid).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Scan again every DURATION (500ms … 30s) until Ctrl-C, ranking by the nearest ETA.
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    pub watch: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the catalogue as Markdown (the content of docs/rules.md).
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct BundleArgs {
    /// Process to bundle.
    #[arg(short, long, value_name = "PID|NAME", allow_hyphen_values = true)]
    pub pid: String,
    /// Where to write the bundle (.tar.gz).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Watch for this long first, so the bundle holds a history (0s = one sample).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Time between samples while watching (500ms … 30s).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_interval)]
    pub interval: Duration,
    /// Include the target's environment (values of secret-looking keys are masked).
    #[arg(long)]
    pub include_env: bool,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Leave out the thread stacks (they stop each thread for microseconds, via ptrace).
    #[arg(long)]
    pub no_stacks: bool,
    /// Also ask a JVM or Python runtime for its dump, which sends it a signal it catches
    /// (a Go program's goroutines come from its pprof endpoint without one, and always do).
    #[arg(long)]
    pub dump: bool,
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The bundle (.tar.gz) written by `healthtop bundle` or the TUI's `b` key.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Process to dump.
    #[arg(short, long, value_name = "PID|NAME", allow_hyphen_values = true)]
    pub pid: String,
    /// How to ask: auto picks JVM attach, Go pprof or Python faulthandler from the runtime.
    #[arg(long, value_enum, default_value = "auto")]
    pub method: DumpMethodArg,
    /// Signal for --method signal or python (USR1, SIGQUIT, 10). Sent only if the process
    /// catches it, unless --force.
    #[arg(long, value_name = "SIG")]
    pub signal: Option<String>,
    /// pprof endpoint (http://127.0.0.1:6060) instead of discovering it.
    #[arg(long, value_name = "URL")]
    pub pprof: Option<String>,
    /// Goroutine format: 1 = aggregated stacks (cheap), 2 = every goroutine with state and
    /// wait time (stops the world while it formats).
    #[arg(long, value_name = "1|2", default_value = "1", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub debug: u8,
    /// Send a signal even if it would kill the target or its output cannot be captured.
    #[arg(long)]
    pub force: bool,
    /// Confirm sending a signal whose handler cannot be seen from outside (Python).
    #[arg(long)]
    pub yes: bool,
    /// Bound on each wait (attach socket, HTTP, output).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print one JSON object instead of the dump text.
    #[arg(long, conflicts_with = "folded")]
    pub json: bool,
    /// Print folded stacks (`root;...;leaf count`) for a flame graph instead of the text.
    #[arg(long)]
    pub folded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DumpMethodArg {
    Auto,
    Jvm,
    Pprof,
    Python,
    Signal,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print one report on the demo target and exit instead of opening the UI.
    #[arg(long)]
    pub report: bool,
}

#[derive(Debug, Args)]
pub struct StacksArgs {
    /// Process whose threads to print.
    #[arg(short, long, value_name = "PID|NAME")]
    pub pid: String,
    /// Print {"threads":[{"tid","name","truncated","frames":[{"function","module","address","file","line"}]}]}.
    #[arg(long)]
    pub json: bool,
    /// Ask a JVM to write its perf map first (`jcmd PID Compiler.perfmap`, JDK 17+; may send
    /// SIGQUIT to start its attach listener), so JIT frames get Java method names.
    #[arg(long)]
    pub jvm_perfmap: bool,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Process to sample.
    #[arg(short, long, value_name = "PID|NAME")]
    pub pid: String,
    /// How long to sample.
    #[arg(short, long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Samples per second; default: chosen from the measured per-thread stop time.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub hz: Option<u32>,
    /// The SVG to write; the folded stacks go beside it (`.folded`).
    #[arg(short, long, value_name = "FILE", default_value = "flame.svg")]
    pub output: PathBuf,
    /// Replace existing regular files at FILE and its `.folded` (never a link or a device).
    #[arg(long)]
    pub force: bool,
    /// cpu: each thread's stack weighs the CPU time it used since the previous capture (idle
    /// threads add nothing); wall: every thread counts at every capture (where threads wait).
    #[arg(long, value_enum, default_value = "cpu")]
    pub mode: FlameModeArg,
    /// A root frame per thread pool (the thread name with digits as `N`); merged otherwise.
    #[arg(long)]
    pub per_thread: bool,
    /// Ask a JVM to write its perf map first (`jcmd PID Compiler.perfmap`, JDK 17+; may send
    /// SIGQUIT to start its attach listener), so JIT frames get Java method names.
    #[arg(long)]
    pub jvm_perfmap: bool,
    /// Go: the goroutine flame graph instead of the threads' (one goroutine profile from the
    /// program's net/http/pprof endpoint, `?debug=1`: widths are goroutine counts).
    #[arg(long, conflicts_with_all = ["hz", "jvm_perfmap"])]
    pub goroutines: bool,
    /// With --goroutines: the pprof endpoint (`http://127.0.0.1:6060`) instead of discovering it
    /// among the target's loopback listeners.
    #[arg(long, value_name = "URL", requires = "goroutines")]
    pub pprof: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlameModeArg {
    Cpu,
    Wall,
}

/// Parses `500ms`, `1s`, `2m`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration =
        humantime::parse_duration(text).map_err(|e| format!("{e} (try 500ms, 1s, 2m)"))?;
    if duration.is_zero() {
        return Err("must be more than zero".to_string());
    }
    Ok(duration)
}

/// Shortest time between samples: every sample reads dozens of files of the target.
pub const MIN_INTERVAL: Duration = Duration::from_millis(500);
/// Longest time between samples: beyond it, trends and ETAs need hours of watching.
pub const MAX_INTERVAL: Duration = Duration::from_secs(30);

/// A duration between [`MIN_INTERVAL`] and [`MAX_INTERVAL`].
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = parse_duration(text)?;
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&interval) {
        return Err(format!(
            "must be between {} and {}",
            humantime::format_duration(MIN_INTERVAL),
            humantime::format_duration(MAX_INTERVAL)
        ));
    }
    Ok(interval)
}

/// One line for a command-line error clap found (its own message is several lines with a
/// usage block): `invalid value '1ns' for '--interval <DURATION>': must be … (see --help)`.
pub fn one_line_error(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    // The first paragraph: the message, and the arguments it names on the lines below it.
    let first: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .collect();
    let first = first.join(" ");
    let message = first.strip_prefix("error: ").unwrap_or(&first);
    format!("{message} (see healthtop --help)")
}

fn exit_codes_help() -> String {
    let mut text = String::from("Exit codes:\n");
    for (code, meaning) in crate::exit::ExitCode::ALL {
        text.push_str(&format!("  {}  {meaning}\n", code.code()));
    }
    text
}
