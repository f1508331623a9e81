//! Progress on a terminal, silence in a pipe: a spinner on stderr only when
//! stderr is a terminal and the user did not ask for --quiet or --json.
//! Colour only when NO_COLOR is unset.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether colour may be used (https://no-color.org).
pub fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A spinner (len = None) or a bar of `len` steps; hidden when not wanted.
pub fn start(quiet: bool, len: Option<u64>, msg: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (spin, bar) = if colour() {
        ("{spinner:.cyan}", "{bar:30.cyan/blue}")
    } else {
        ("{spinner}", "{bar:30}")
    };
    let pb = match len {
        Some(n) => {
            let pb = ProgressBar::new(n);
            let t = format!("{spin} {bar} {{pos}}/{{len}} {{msg}} [{{elapsed}}]");
            pb.set_style(ProgressStyle::with_template(&t).expect("valid template"));
            pb
        }
        None => {
            let pb = ProgressBar::new_spinner();
            let t = format!("{spin} {{msg}} [{{elapsed}}]");
            pb.set_style(ProgressStyle::with_template(&t).expect("valid template"));
            pb
        }
    };
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A bar of `len` steps with the time left; hidden when not wanted.
pub fn bar_with_eta(quiet: bool, len: u64, msg: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = if colour() {
        "{spinner:.cyan} {bar:30.cyan/blue}"
    } else {
        "{spinner} {bar:30}"
    };
    let pb = ProgressBar::new(len);
    let t = format!("{bar} {{pos}}/{{len}} {{msg}} [{{elapsed}}, ETA {{eta}}]");
    pb.set_style(ProgressStyle::with_template(&t).expect("valid template"));
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}
