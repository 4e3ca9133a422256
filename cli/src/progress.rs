//! Progress on stderr, only when stderr is a terminal, and the hooks a load reports its stages to.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner naming the current stage; silent when stderr is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }
    /// Run `f` with a spinner (none when `quiet`), cleared when `f` returns.
    pub fn with<T>(quiet: bool, f: impl FnOnce(&Progress) -> T) -> T {
        let progress = Progress::new(quiet);
        let r = f(&progress);
        progress.finish();
        r
    }
    pub fn stage(&self, msg: impl Into<String>) {
        if let Some(b) = &self.bar {
            b.set_message(msg.into());
        }
    }
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// What a [`crate::session::Session::load`] tells about its stages (reading, each graph pass).
pub trait Hooks {
    fn on_stage(&self, msg: &str);
    /// The bar a download may show its bytes on (none: quiet, or stderr not a terminal).
    fn bar(&self) -> Option<ProgressBar> {
        None
    }
}

impl Hooks for Progress {
    fn on_stage(&self, msg: &str) {
        self.stage(msg);
    }
    fn bar(&self) -> Option<ProgressBar> {
        self.bar.clone()
    }
}

/// No progress shown.
pub struct Silent;

impl Hooks for Silent {
    fn on_stage(&self, _msg: &str) {}
}
