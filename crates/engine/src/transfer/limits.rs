//! Concurrency limits (global, and per host as [`congestion`](super::congestion) sets them) and the
//! bandwidth limit, a token bucket that can change while running.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::congestion::{HostConcurrency, HostGate, HostPermit};

/// How many transfers may run at once, overall and against one host.
pub struct Slots {
    global: Arc<Semaphore>,
    per_host: HostConcurrency,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

/// Held while a transfer runs; dropping it frees the slots. It tells the host's gate how the host
/// answered.
pub struct SlotGuard {
    _global: OwnedSemaphorePermit,
    host: HostPermit,
}

impl SlotGuard {
    /// The host answered after `latency` (the time to its response's headers).
    pub fn answered(&self, latency: Duration) {
        self.host.answered(latency);
    }

    /// The host refused the request as a strained host does, or the connection broke or timed out.
    pub fn strained(&self) {
        self.host.strained();
    }
}

impl Slots {
    pub fn new(global: usize, per_host: HostConcurrency) -> Self {
        Slots {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a free slot for `host`, then overall.
    pub async fn acquire(&self, host: &str) -> SlotGuard {
        let gate = self
            .hosts
            .lock()
            .expect("slots lock")
            .entry(host.to_string())
            .or_insert_with(|| HostGate::new(self.per_host))
            .clone();
        let host = gate.acquire().await;
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        SlotGuard {
            _global: global,
            host,
        }
    }

    /// The connections each host fetched from may have now, by host name.
    pub fn limits(&self) -> Vec<(String, usize)> {
        let hosts = self.hosts.lock().expect("slots lock");
        let mut limits: Vec<_> = hosts
            .iter()
            .map(|(host, gate)| (host.clone(), gate.limit()))
            .collect();
        limits.sort();
        limits
    }
}

/// A token bucket shared by every transfer: at most `rate` bytes per second, with one second of burst.
/// `None` means unlimited. The rate can be changed at any time and applies at once.
#[derive(Default)]
pub struct Bandwidth {
    state: Mutex<Bucket>,
}

#[derive(Default)]
struct Bucket {
    rate: Option<u64>,
    tokens: f64,
    refilled: Option<Instant>,
}

impl Bandwidth {
    pub fn set_limit(&self, bytes_per_second: Option<u64>) {
        let mut bucket = self.state.lock().expect("bandwidth lock");
        bucket.rate = bytes_per_second.filter(|rate| *rate > 0);
        bucket.tokens = bucket.tokens.min(bucket.rate.unwrap_or(0) as f64);
    }

    pub fn limit(&self) -> Option<u64> {
        self.state.lock().expect("bandwidth lock").rate
    }

    /// Waits until `bytes` may be written under the current limit.
    pub async fn take(&self, bytes: u64) {
        loop {
            let wait = {
                let mut bucket = self.state.lock().expect("bandwidth lock");
                let Some(rate) = bucket.rate else { return };
                let now = Instant::now();
                let elapsed = bucket
                    .refilled
                    .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
                bucket.tokens = (bucket.tokens + elapsed * rate as f64).min(rate as f64);
                bucket.refilled = Some(now);
                // A chunk larger than the burst may go once the bucket is full, leaving it in debt.
                let needed = (bytes as f64).min(rate as f64);
                if bucket.tokens >= needed {
                    bucket.tokens -= bytes as f64;
                    return;
                }
                Duration::from_secs_f64(((needed - bucket.tokens) / rate as f64).min(0.25))
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bandwidth_limit_paces_bytes() {
        let bandwidth = Bandwidth::default();
        bandwidth.set_limit(Some(1000));
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            bandwidth.take(1000).await;
        }
        // The first second's worth is free only after the bucket fills; 5000 bytes at 1000 B/s take about 5 s.
        assert!(
            start.elapsed() >= Duration::from_secs(4),
            "{:?}",
            start.elapsed()
        );
        bandwidth.set_limit(None);
        let before = tokio::time::Instant::now();
        bandwidth.take(1 << 30).await;
        assert_eq!(before.elapsed(), Duration::ZERO);
    }

    #[tokio::test]
    async fn per_host_slots_are_separate() {
        let slots = Slots::new(4, HostConcurrency::Fixed(1));
        let _a = slots.acquire("a").await;
        let b = tokio::time::timeout(Duration::from_millis(50), slots.acquire("b")).await;
        assert!(b.is_ok(), "another host has its own slot");
        let a_again = tokio::time::timeout(Duration::from_millis(50), slots.acquire("a")).await;
        assert!(a_again.is_err(), "the same host waits for its one slot");
    }
}
