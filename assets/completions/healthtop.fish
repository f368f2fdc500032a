# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_healthtop_global_optspecs
    string join \n p/pid= i/interval= config= h/help V/version
end

function __fish_healthtop_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_healthtop_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_healthtop_using_subcommand
    set -l cmd (__fish_healthtop_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c healthtop -n "__fish_healthtop_needs_command" -s p -l pid -d 'Process to watch (opens the terminal UI); without it, a picker of the host\'s processes' -r
complete -c healthtop -n "__fish_healthtop_needs_command" -s i -l interval -d 'Time between samples (500ms … 30s)' -r
complete -c healthtop -n "__fish_healthtop_needs_command" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_needs_command" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_needs_command" -s V -l version -d 'Print version'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "report" -d 'Print a health report of one process (once, or after watching it for a while)'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "scan" -d 'Rank every process of the host by how close it is to a limit (fds, threads, memory, address space); watched, by when it reaches it'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "demo" -d 'Start healthtop\'s own misbehaving demo target and watch it'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "stacks" -d 'Print every thread\'s native stack once (like eu-stack), without harming the target'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "record" -d 'Sample every thread\'s stack for a while and write a flame graph (SVG + folded stacks)'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "rules" -d 'List every health rule with what it means, when it fires and its thresholds'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "bundle" -d 'Write a snapshot bundle (one .tar.gz) of a process, to open later or elsewhere'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "view" -d 'Open a snapshot bundle in the interactive view, read-only, and step through its samples'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "dump" -d 'Ask a JVM, Go or Python process (or any program that dumps on a signal) for a dump of its threads, the safe way for its runtime'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, …) generated from these definitions'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "manpage" -d 'Print the man page (roff, as shipped in assets/healthtop.1)'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "serve" -d 'Expose the headroom, forecasts and findings of processes to Prometheus on /metrics (read-only: never captures stacks, never sends a signal)'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "demo-target" -d 'Run the demo target itself (used by `healthtop demo`)'
complete -c healthtop -n "__fish_healthtop_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c healthtop -n "__fish_healthtop_using_subcommand report" -s p -l pid -d 'Process to report on' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand report" -l from -d 'Print the report stored in a bundle instead of reading a live process' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand report" -l watch -d 'Sample for this long, then report with trend findings (ETAs need a window: try 30s)' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand report" -l interval -d 'Time between samples while watching (500ms … 30s)' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand report" -l pprof -d 'Go pprof endpoint (http://127.0.0.1:6060) for the goroutine count while watching, instead of discovering it among the target\'s loopback listeners' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand report" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand report" -l json -d 'Print one JSON object (schema healthtop.report/1) instead of text'
complete -c healthtop -n "__fish_healthtop_using_subcommand report" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand scan" -l top -d 'Show only the N processes nearest a limit' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand scan" -l user -d 'Only processes of this user (name or uid)' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand scan" -l watch -d 'Scan again every DURATION (500ms … 30s) until Ctrl-C, ranking by the nearest ETA' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand scan" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand scan" -l json -d 'Print one JSON object (schema healthtop.scan/1) instead of a table'
complete -c healthtop -n "__fish_healthtop_using_subcommand scan" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand demo" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand demo" -l report -d 'Print one report on the demo target and exit instead of opening the UI'
complete -c healthtop -n "__fish_healthtop_using_subcommand demo" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand stacks" -s p -l pid -d 'Process whose threads to print' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand stacks" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand stacks" -l json -d 'Print {"threads":[{"tid","name","truncated","frames":[{"function","module","address","file","line"}]}]}'
complete -c healthtop -n "__fish_healthtop_using_subcommand stacks" -l jvm-perfmap -d 'Ask a JVM to write its perf map first (`jcmd PID Compiler.perfmap`, JDK 17+; may send SIGQUIT to start its attach listener), so JIT frames get Java method names'
complete -c healthtop -n "__fish_healthtop_using_subcommand stacks" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -s p -l pid -d 'Process to sample' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -s d -l duration -d 'How long to sample' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -l hz -d 'Samples per second; default: chosen from the measured per-thread stop time' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -s o -l output -d 'The SVG to write; the folded stacks go beside it (`.folded`)' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -l mode -d 'cpu: each thread\'s stack weighs the CPU time it used since the previous capture (idle threads add nothing); wall: every thread counts at every capture (where threads wait)' -r -f -a "cpu\t''
wall\t''"
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -l pprof -d 'With --goroutines: the pprof endpoint (`http://127.0.0.1:6060`) instead of discovering it among the target\'s loopback listeners' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -l force -d 'Replace existing regular files at FILE and its `.folded` (never a link or a device)'
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -l per-thread -d 'A root frame per thread pool (the thread name with digits as `N`); merged otherwise'
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -l jvm-perfmap -d 'Ask a JVM to write its perf map first (`jcmd PID Compiler.perfmap`, JDK 17+; may send SIGQUIT to start its attach listener), so JIT frames get Java method names'
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -l goroutines -d 'Go: the goroutine flame graph instead of the threads\' (one goroutine profile from the program\'s net/http/pprof endpoint, `?debug=1`: widths are goroutine counts)'
complete -c healthtop -n "__fish_healthtop_using_subcommand record" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand rules" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand rules" -l markdown -d 'Print the catalogue as Markdown (the content of docs/rules.md)'
complete -c healthtop -n "__fish_healthtop_using_subcommand rules" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -s p -l pid -d 'Process to bundle' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -s o -l output -d 'Where to write the bundle (.tar.gz)' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -l duration -d 'Watch for this long first, so the bundle holds a history (0s = one sample)' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -l interval -d 'Time between samples while watching (500ms … 30s)' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -l include-env -d 'Include the target\'s environment (values of secret-looking keys are masked)'
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -l force -d 'Replace the output file if it exists'
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -l no-stacks -d 'Leave out the thread stacks (they stop each thread for microseconds, via ptrace)'
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -l dump -d 'Also ask a JVM or Python runtime for its dump, which sends it a signal it catches (a Go program\'s goroutines come from its pprof endpoint without one, and always do)'
complete -c healthtop -n "__fish_healthtop_using_subcommand bundle" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand view" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand view" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -s p -l pid -d 'Process to dump' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l method -d 'How to ask: auto picks JVM attach, Go pprof or Python faulthandler from the runtime' -r -f -a "auto\t''
jvm\t''
pprof\t''
python\t''
signal\t''"
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l signal -d 'Signal for --method signal or python (USR1, SIGQUIT, 10). Sent only if the process catches it, unless --force' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l pprof -d 'pprof endpoint (http://127.0.0.1:6060) instead of discovering it' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l debug -d 'Goroutine format: 1 = aggregated stacks (cheap), 2 = every goroutine with state and wait time (stops the world while it formats)' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l timeout -d 'Bound on each wait (attach socket, HTTP, output)' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l force -d 'Send a signal even if it would kill the target or its output cannot be captured'
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l yes -d 'Confirm sending a signal whose handler cannot be seen from outside (Python)'
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l json -d 'Print one JSON object instead of the dump text'
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -l folded -d 'Print folded stacks (`root;...;leaf count`) for a flame graph instead of the text'
complete -c healthtop -n "__fish_healthtop_using_subcommand dump" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand completions" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand completions" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand manpage" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand manpage" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand serve" -l listen -d 'Address and port to listen on; 0.0.0.0:PORT or [::]:PORT to serve other hosts' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand serve" -s p -l pid -d 'Process to watch, by PID or name (every process the name means); repeat for more. Resolved again every interval: a process that exits disappears from the metrics, a new one holding the PID or the name appears with new series' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand serve" -l top -d 'With --scan: how many processes' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand serve" -l interval -d 'Time between readings of every watched process (500ms … 30s)' -r
complete -c healthtop -n "__fish_healthtop_using_subcommand serve" -l web-config -d 'TLS and basic auth, in the web config format of Prometheus exporters (YAML: tls_server_config.cert_file/key_file, basic_auth_users with bcrypt hashes)' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand serve" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand serve" -l scan -d 'Also watch the processes of the host nearest a limit (as `healthtop scan` ranks them), chosen again every interval'
complete -c healthtop -n "__fish_healthtop_using_subcommand serve" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand demo-target" -l config -d 'Rule thresholds file (TOML); default: $XDG_CONFIG_HOME/healthtop/config.toml' -r -F
complete -c healthtop -n "__fish_healthtop_using_subcommand demo-target" -s h -l help -d 'Print help'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "report" -d 'Print a health report of one process (once, or after watching it for a while)'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "scan" -d 'Rank every process of the host by how close it is to a limit (fds, threads, memory, address space); watched, by when it reaches it'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "demo" -d 'Start healthtop\'s own misbehaving demo target and watch it'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "stacks" -d 'Print every thread\'s native stack once (like eu-stack), without harming the target'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "record" -d 'Sample every thread\'s stack for a while and write a flame graph (SVG + folded stacks)'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "rules" -d 'List every health rule with what it means, when it fires and its thresholds'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "bundle" -d 'Write a snapshot bundle (one .tar.gz) of a process, to open later or elsewhere'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "view" -d 'Open a snapshot bundle in the interactive view, read-only, and step through its samples'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "dump" -d 'Ask a JVM, Go or Python process (or any program that dumps on a signal) for a dump of its threads, the safe way for its runtime'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, …) generated from these definitions'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "manpage" -d 'Print the man page (roff, as shipped in assets/healthtop.1)'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "serve" -d 'Expose the headroom, forecasts and findings of processes to Prometheus on /metrics (read-only: never captures stacks, never sends a signal)'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "demo-target" -d 'Run the demo target itself (used by `healthtop demo`)'
complete -c healthtop -n "__fish_healthtop_using_subcommand help; and not __fish_seen_subcommand_from report scan demo stacks record rules bundle view dump completions manpage serve demo-target help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
