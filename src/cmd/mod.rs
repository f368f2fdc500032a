//! One module per subcommand: run it, print its output, map its errors to exit codes.
//!
//! May import: everything below the CLI floor.

pub mod dump;
