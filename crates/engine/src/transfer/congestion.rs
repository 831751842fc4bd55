//! How many connections one host gets: a fixed number, or a window that grows while the host answers
//! well and is cut when it shows strain (429/503, resets, timeouts, latency rising as requests queue),
//! as TCP's congestion control grows and cuts its window.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How many connections each host gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostConcurrency {
    /// Exactly this many, whatever the host does (`--concurrency N`).
    Fixed(usize),
    /// `start` at first, grown while the host copes, cut when it strains, never above `ceiling`.
    Adaptive { start: usize, ceiling: usize },
}

/// Where an adaptive host starts: modest, and enough for a few big files.
pub const DEFAULT_START: usize = 4;
/// The most connections to one host unless the user says otherwise: what a round trip of 40 ms needs to
/// keep small files flowing, and what curl's `--parallel-max` allows.
pub const DEFAULT_CEILING: usize = 64;

impl Default for HostConcurrency {
    fn default() -> Self {
        HostConcurrency::Adaptive {
            start: DEFAULT_START,
            ceiling: DEFAULT_CEILING,
        }
    }
}

impl HostConcurrency {
    /// The most connections a host may ever get.
    pub fn ceiling(self) -> usize {
        match self {
            HostConcurrency::Fixed(n) => n.max(1),
            HostConcurrency::Adaptive { ceiling, .. } => ceiling.max(1),
        }
    }
}

/// Queueing that adds this much to the quickest answer lately (and at least triples it) is strain: less
/// is the jitter of a busy network or a busy computer.
const QUEUEING_SLACK: Duration = Duration::from_millis(50);
/// The quickest answer is looked for again this often, so a path that became slower is learnt.
const BASE_LATENCY_PERIOD: Duration = Duration::from_secs(10);
/// A cut is followed by no other for at least this long, nor for one smoothed round trip.
const LEAST_CUT_INTERVAL: Duration = Duration::from_millis(50);
/// After a strain the window stays below the connections the host had then for this long, before it
/// probes beyond them again.
const HOLD_AFTER_STRAIN: Duration = Duration::from_secs(5);

/// One host's connections: a semaphore whose size follows the window.
pub struct HostGate {
    mode: HostConcurrency,
    permits: Arc<Semaphore>,
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    /// The connections allowed, fractional while it grows by parts of one.
    limit: f64,
    /// Permits the semaphore holds (given out or free) beyond what `limit` allows, to be taken back as
    /// they come home.
    owed: usize,
    /// Permits in the semaphore in all: free, given out, and owed.
    issued: usize,
    /// Below this the window grows by one per answer (doubling per round trip); above, by one per round
    /// trip.
    threshold: f64,
    /// The connections the host had at its last strain, and when: the window stays below them for a
    /// while, then grows slowly near them.
    strained: Option<(f64, Instant)>,
    base_latency: Option<Duration>,
    /// The quickest answer of the current period, which becomes `base_latency` when it ends.
    period_best: Option<Duration>,
    period_started: Instant,
    smoothed_latency: Option<Duration>,
    last_cut: Option<Instant>,
}

impl HostGate {
    pub fn new(mode: HostConcurrency) -> Arc<HostGate> {
        let start = match mode {
            HostConcurrency::Fixed(n) => n.max(1),
            HostConcurrency::Adaptive { start, ceiling } => start.clamp(1, ceiling.max(1)),
        };
        Arc::new(HostGate {
            mode,
            permits: Arc::new(Semaphore::new(start)),
            window: Mutex::new(Window {
                limit: start as f64,
                owed: 0,
                issued: start,
                threshold: mode.ceiling() as f64,
                strained: None,
                base_latency: None,
                period_best: None,
                period_started: Instant::now(),
                smoothed_latency: None,
                last_cut: None,
            }),
        })
    }

    /// Waits for one of the host's connections.
    pub async fn acquire(self: &Arc<Self>) -> HostPermit {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        let in_flight_when_sent = self.in_use(&self.window.lock().expect("window lock"));
        HostPermit {
            gate: self.clone(),
            permit: Some(permit),
            in_flight_when_sent,
        }
    }

    /// The connections given out now (at least one).
    fn in_use(&self, window: &Window) -> usize {
        window
            .issued
            .saturating_sub(self.permits.available_permits())
            .max(1)
    }

    /// The connections the host may have now.
    pub fn limit(&self) -> usize {
        self.window.lock().expect("window lock").limit.floor() as usize
    }

    fn adaptive(&self) -> bool {
        matches!(self.mode, HostConcurrency::Adaptive { .. })
    }

    /// The host answered a request after `latency`, sent while `in_flight_when_sent` requests were
    /// out: the window grows, unless the answer came late enough to say requests are queueing there.
    fn answered(&self, latency: Duration, in_flight_when_sent: usize) {
        if !self.adaptive() {
            return;
        }
        let mut window = self.window.lock().expect("window lock");
        let queueing = window.note_latency(latency);
        if queueing {
            self.cut(&mut window, 0.75, Some(in_flight_when_sent));
        } else {
            window.grow(self.mode.ceiling() as f64, Instant::now());
            self.resize(&mut window);
        }
    }

    /// The host refused or dropped a request as a strained host does: the window is halved.
    fn strained(&self) {
        if !self.adaptive() {
            return;
        }
        let mut window = self.window.lock().expect("window lock");
        self.cut(&mut window, 0.5, None);
    }

    /// Cuts the window to `factor` of the connections in use (or of itself, if smaller), at most once
    /// per round trip: the answers of requests sent before a cut say nothing about the window after it.
    /// A late answer (`queued_behind`: the requests out when it was sent) counts those it queued
    /// behind, not the few still out at the end of a batch. A refusal (`None`) also notes the
    /// connections in use (the fewest of the refusals lately), which the window then stays below for
    /// a while.
    fn cut(&self, window: &mut Window, factor: f64, queued_behind: Option<usize>) {
        let now = Instant::now();
        let in_use = self.in_use(window).max(queued_behind.unwrap_or(0)) as f64;
        if queued_behind.is_none() {
            let level = match window.strained {
                Some((level, at)) if now - at < HOLD_AFTER_STRAIN => level.min(in_use),
                _ => in_use,
            };
            window.strained = Some((level, now));
        }
        let quiet = window
            .smoothed_latency
            .unwrap_or_default()
            .max(LEAST_CUT_INTERVAL);
        if window.last_cut.is_some_and(|at| now - at < quiet) {
            return;
        }
        window.last_cut = Some(now);
        window.limit = (window.limit.min(in_use) * factor).max(1.0);
        window.threshold = window.limit;
        self.resize(window);
    }

    /// Makes the semaphore's permits follow the window: new ones added, surplus ones taken back at
    /// once where free, else as they come home.
    fn resize(&self, window: &mut Window) {
        let wanted = window.limit.floor().max(1.0) as usize;
        let allowed = window.issued - window.owed;
        if wanted > allowed {
            let more = wanted - allowed;
            let forgiven = more.min(window.owed);
            window.owed -= forgiven;
            let added = more - forgiven;
            self.permits.add_permits(added);
            window.issued += added;
        } else if wanted < allowed {
            let surplus = allowed - wanted;
            let taken = self.permits.forget_permits(surplus);
            window.issued -= taken;
            window.owed += surplus - taken;
        }
    }

    /// A permit comes home: kept by the semaphore, or taken back if the window shrank meanwhile.
    fn release(&self, permit: OwnedSemaphorePermit) {
        let mut window = self.window.lock().expect("window lock");
        if window.owed > 0 {
            window.owed -= 1;
            window.issued -= 1;
            permit.forget();
        }
    }
}

impl Window {
    /// Learns from one answer's latency; true when it says requests queue at the host.
    fn note_latency(&mut self, latency: Duration) -> bool {
        let now = Instant::now();
        self.period_best = Some(self.period_best.map_or(latency, |best| best.min(latency)));
        self.base_latency = Some(self.base_latency.map_or(latency, |base| base.min(latency)));
        if now - self.period_started >= BASE_LATENCY_PERIOD {
            self.base_latency = self.period_best.take();
            self.period_started = now;
        }
        let smoothed = match self.smoothed_latency {
            Some(smoothed) => (smoothed * 7 + latency) / 8,
            None => latency,
        };
        self.smoothed_latency = Some(smoothed);
        let base = self.base_latency.unwrap_or(latency);
        smoothed > (base * 3).max(base + QUEUEING_SLACK)
    }

    /// One answer's growth: one connection in slow start, one per window's worth of answers after it,
    /// and a quarter of that near where the host strained last; for a while after a strain, never up to
    /// the connections it had then.
    fn grow(&mut self, ceiling: f64, now: Instant) {
        let near_strain = self
            .strained
            .is_some_and(|(level, _)| self.limit + 1.0 >= level);
        let step = if self.limit < self.threshold {
            1.0
        } else if near_strain {
            0.25 / self.limit
        } else {
            1.0 / self.limit
        };
        let most = match self.strained {
            Some((level, at)) if now - at < HOLD_AFTER_STRAIN => (level - 1.0).max(1.0),
            _ => ceiling,
        };
        self.limit = (self.limit + step).min(most);
    }
}

/// One connection to a host, given back when dropped; it tells the gate how the host answered.
pub struct HostPermit {
    gate: Arc<HostGate>,
    permit: Option<OwnedSemaphorePermit>,
    /// The requests out to the host when this one was sent, itself included.
    in_flight_when_sent: usize,
}

impl HostPermit {
    /// The host answered after `latency` (the time to its response's headers).
    pub fn answered(&self, latency: Duration) {
        self.gate.answered(latency, self.in_flight_when_sent);
    }

    /// The host refused the request as a strained host does, or the connection broke or timed out.
    pub fn strained(&self) {
        self.gate.strained();
    }
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            self.gate.release(permit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adaptive(start: usize, ceiling: usize) -> Arc<HostGate> {
        HostGate::new(HostConcurrency::Adaptive { start, ceiling })
    }

    async fn hold(gate: &Arc<HostGate>, n: usize) -> Vec<HostPermit> {
        futures_util::future::join_all((0..n).map(|_| gate.acquire())).await
    }

    /// Permits that can be taken at once without waiting.
    async fn available(gate: &Arc<HostGate>) -> usize {
        let mut held = Vec::new();
        while let Ok(permit) = tokio::time::timeout(Duration::from_millis(1), gate.acquire()).await
        {
            held.push(permit);
        }
        held.len()
    }

    #[tokio::test]
    async fn a_fixed_host_keeps_its_number_whatever_happens() {
        let gate = HostGate::new(HostConcurrency::Fixed(3));
        let permit = gate.acquire().await;
        permit.strained();
        permit.answered(Duration::from_secs(5));
        drop(permit);
        assert_eq!(gate.limit(), 3);
        assert_eq!(available(&gate).await, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_start_doubles_per_round_trip_up_to_the_ceiling() {
        let gate = adaptive(4, 20);
        let permit = gate.acquire().await;
        for _ in 0..4 {
            permit.answered(Duration::from_millis(40));
        }
        assert_eq!(gate.limit(), 8, "one more per answer");
        for _ in 0..100 {
            permit.answered(Duration::from_millis(40));
        }
        assert_eq!(gate.limit(), 20, "never above the ceiling");
        drop(permit);
        assert_eq!(available(&gate).await, 20);
    }

    #[tokio::test(start_paused = true)]
    async fn strain_halves_the_connections_in_use_once_per_round_trip() {
        let gate = adaptive(16, 64);
        let held = hold(&gate, 16).await;
        held[0].answered(Duration::from_millis(40));
        held[0].strained();
        held[1].strained();
        assert_eq!(gate.limit(), 8, "a burst of refusals is one cut");
        tokio::time::advance(Duration::from_millis(60)).await;
        held[2].strained();
        assert_eq!(gate.limit(), 4, "a round trip later, another");
        for _ in 0..5 {
            held[3].answered(Duration::from_millis(40));
        }
        assert_eq!(
            gate.limit(),
            5,
            "after a cut, one more per window's worth of answers"
        );
        drop(held);
        assert_eq!(available(&gate).await, 5, "permits out were taken back");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_strain_the_window_stays_below_it_for_a_while_then_probes() {
        let gate = adaptive(9, 64);
        let held = hold(&gate, 9).await;
        held[0].strained();
        assert_eq!(gate.limit(), 4);
        for _ in 0..400 {
            tokio::time::advance(Duration::from_millis(5)).await;
            held[0].answered(Duration::from_millis(2));
        }
        assert_eq!(gate.limit(), 8, "below the 9 refused, two seconds on");
        tokio::time::advance(HOLD_AFTER_STRAIN).await;
        for _ in 0..40 {
            held[0].answered(Duration::from_millis(2));
        }
        assert_eq!(gate.limit(), 9, "later it tries 9 again, slowly");
    }

    #[tokio::test(start_paused = true)]
    async fn answers_slowed_by_queueing_shrink_the_window() {
        let gate = adaptive(10, 64);
        let held = hold(&gate, 10).await;
        for _ in 0..10 {
            held[0].answered(Duration::from_millis(2));
        }
        let grown = gate.limit();
        assert_eq!(grown, 20);
        for _ in 0..10 {
            tokio::time::advance(Duration::from_millis(100)).await;
            held[0].answered(Duration::from_millis(80));
        }
        assert!(
            gate.limit() < 10,
            "answers 40 times slower than the quickest cut below the 10 in use: {}",
            gate.limit()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn late_answers_at_the_end_of_a_batch_cut_from_the_requests_they_queued_behind() {
        let gate = adaptive(8, 8);
        let mut held = hold(&gate, 8).await;
        for _ in 0..8 {
            held[0].answered(Duration::from_millis(2));
        }
        // The batch runs out: all but the last request came home, then the last answers late.
        let last = held.pop().unwrap();
        drop(held);
        for _ in 0..10 {
            tokio::time::advance(Duration::from_millis(100)).await;
            last.answered(Duration::from_millis(80));
        }
        assert!(
            gate.limit() >= 2,
            "not cut to the one request left out: {}",
            gate.limit()
        );
    }
}
