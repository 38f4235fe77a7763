//! One duplicate decision at a time, and the stories decided as new or updated but not yet
//! committed: a page that might be decided differently once such a story is in the store (same
//! item, a URL in common, a copy of it) waits for that commit. The file write and the commit
//! of a decided page then need not hold the decision lock (see `app::page`).

use std::sync::{Condvar, Mutex, MutexGuard};

use crate::dedup;
use crate::store::LockGuard;

/// Duplicate decisions (one at a time) and the stories decided as new or updated whose file and
/// item are still being written.
#[derive(Default)]
pub(super) struct Decisions {
    pending: Mutex<Pending>,
    /// Notified when a reservation ends.
    pub(super) released: Condvar,
}

#[derive(Default)]
pub(super) struct Pending {
    next: u64,
    stories: Vec<Reserved>,
}

/// A story decided as new or updated, not yet committed.
struct Reserved {
    token: u64,
    id: String,
    urls: Vec<String>,
    /// Its fingerprint as a copy candidate (`None` when too short to match anything).
    candidate: Option<dedup::Candidate>,
}

impl Decisions {
    pub(super) fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves story `id` until the returned guard is dropped; releases the decision lock.
    pub(super) fn reserve(
        &self,
        mut pending: MutexGuard<'_, Pending>,
        id: &str,
        urls: &[&str],
        fp: &dedup::Fingerprint,
    ) -> Reservation<'_> {
        pending.next += 1;
        let token = pending.next;
        pending.stories.push(Reserved {
            token,
            id: id.to_string(),
            urls: urls.iter().map(|u| u.to_string()).collect(),
            candidate: fp.simhash.map(|simhash| dedup::Candidate {
                id: id.to_string(),
                simhash,
                sketch: fp.sketch.clone(),
            }),
        });
        Reservation {
            decisions: self,
            token,
        }
    }
}

impl Pending {
    /// Whether a page (its possible item ids, its URLs, its fingerprint) might be decided
    /// differently once the reserved stories are committed: same item, a URL in common, or a
    /// copy of one of them (checked against each whole fingerprint: broader than the store's
    /// lookup, so never less careful).
    pub(super) fn blocks(
        &self,
        ids: &[&str],
        urls: &[&str],
        fp: &dedup::Fingerprint,
        settings: &dedup::Settings,
    ) -> bool {
        self.stories.iter().any(|r| {
            ids.contains(&r.id.as_str())
                || r.urls.iter().any(|u| urls.contains(&u.as_str()))
                || r.candidate.as_ref().is_some_and(|c| {
                    dedup::find_copy(fp, std::slice::from_ref(c), settings).is_some()
                })
        })
    }
}

/// Ends a reservation (after the commit, or on an error or panic) and wakes waiting pages.
pub(super) struct Reservation<'a> {
    decisions: &'a Decisions,
    token: u64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.decisions
            .lock()
            .stories
            .retain(|r| r.token != self.token);
        self.decisions.released.notify_all();
    }
}

/// What a page holds from its decision to its commit.
pub(super) enum Held<'a> {
    /// Shared store: the decision lock and the workers' advisory lock.
    Locks(
        #[allow(dead_code)] MutexGuard<'a, Pending>,
        #[allow(dead_code)] LockGuard<'a>,
    ),
    /// Own store: the story's reservation.
    Reservation(#[allow(dead_code)] Reservation<'a>),
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "The harbour authority said on Monday that the new solar ferry will \
        enter service in the spring, replacing two diesel boats on the crossing.\n\
        The vessel carries two hundred passengers and charges at the quay in twelve minutes.\n\
        Residents welcomed the quieter crossing, though some asked about the early departure.\n\
        The operator expects the second ferry of the same design to arrive next year.";

    const OTHER: &str = "The city council voted on Tuesday to extend the tram line to the \
        airport, a project first proposed more than a decade ago by the transport board.\n\
        Construction is due to start in autumn and last three years, with six new stops.\n\
        Shop owners along the route asked for compensation during the months of works.";

    #[test]
    fn a_reserved_story_holds_back_its_urls_its_id_and_its_copies_only() {
        let settings = dedup::Settings {
            min_chars: 100,
            ..Default::default()
        };
        let fp = |t: &str| dedup::fingerprint(t, &settings, |_| false);
        let decisions = Decisions::default();
        let reservation =
            decisions.reserve(decisions.lock(), "id1", &["https://a/1", "a/1"], &fp(STORY));
        let pending = decisions.lock();
        let other = fp(OTHER);
        assert!(pending.blocks(&["id1"], &["https://b/2"], &other, &settings));
        assert!(pending.blocks(&["id2"], &["https://b/2", "a/1"], &other, &settings));
        let copy = fp(&format!("{STORY}\nShare this article."));
        assert!(pending.blocks(&["id2"], &["https://b/2"], &copy, &settings));
        assert!(!pending.blocks(&["id2"], &["https://b/2"], &other, &settings));
        drop(pending);
        drop(reservation);
        assert!(
            !decisions
                .lock()
                .blocks(&["id1"], &["a/1"], &copy, &settings)
        );
    }
}
