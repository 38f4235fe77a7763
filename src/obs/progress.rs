//! Progress on a terminal: one bar per source (pages done of pages listed), drawn on stderr
//! with `indicatif`. Without a terminal nothing is drawn and the log lines say the same.

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::events::{Counts, Progress};

pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    style: ProgressStyle,
}

impl Bars {
    /// Bars for `sources`, in config order.
    pub fn new<'a>(sources: impl IntoIterator<Item = &'a str>) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> ");
        let bars = sources
            .into_iter()
            .map(|name| {
                let bar = multi.add(ProgressBar::new(0));
                bar.set_style(style.clone());
                bar.set_prefix(name.to_string());
                bar.set_message("listing");
                (name.to_string(), bar)
            })
            .collect();
        Bars {
            multi,
            bars: Mutex::new(bars),
            style,
        }
    }

    fn with(&self, source: &str, f: impl FnOnce(&ProgressBar)) {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        let bar = bars.entry(source.to_string()).or_insert_with(|| {
            let b = self.multi.add(ProgressBar::new(0));
            b.set_style(self.style.clone());
            b.set_prefix(source.to_string());
            b
        });
        f(bar);
    }
}

impl Progress for Bars {
    fn listed(&self, source: &str, links: usize) {
        self.with(source, |b| {
            b.set_length(links as u64);
            b.set_message("fetching");
        });
    }

    fn page_done(&self, source: &str) {
        self.with(source, |b| b.inc(1));
    }

    fn source_done(&self, source: &str, c: &Counts, listing_failed: bool) {
        let msg = match listing_failed {
            true => "listing failed".to_string(),
            false => format!("{} new, {} updated, {} failed", c.new, c.updated, c.failed),
        };
        self.with(source, |b| b.finish_with_message(msg));
    }
}
