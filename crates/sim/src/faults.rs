//! Fault injection rules: which requests misbehave, and how.

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use serde::{Deserialize, Serialize};

/// One rule: requests whose path starts with `path_prefix` (and whose method is `method`, if
/// given) get `action`, for the next `times` matching requests (forever if `None`).
///
/// In JSON (for `POST /_sim/faults`) the action's fields sit beside the rule's, tagged by `kind`:
/// `{"path_prefix":"/files-desaccess/","method":"GET","times":2,"kind":"status","code":503}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Matched against the raw (still percent-encoded) request path, e.g. `/desaccess/api/login`.
    pub path_prefix: String,
    /// HTTP method to match (any case); `None` matches all.
    #[serde(default)]
    pub method: Option<String>,
    /// How many matching requests the rule affects; `None` for all of them.
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(flatten)]
    pub action: FaultAction,
}

/// What happens to a matching request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Wait this long before handling the request.
    Latency { ms: u64 },
    /// Answer with this status (and an nginx error page) instead of handling the request;
    /// with `retry_after_secs` a `Retry-After` header is sent too (e.g. 429 or 503).
    Status {
        code: u16,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// Send the real headers (full `Content-Length`), then this many body bytes, then abort the connection.
    ResetAfter { bytes: u64 },
    /// Send the real headers, then this many body bytes, then end the response early (closing the connection).
    TruncateAfter { bytes: u64 },
    /// Send the real headers, then this many body bytes, then go silent for `secs` before sending the rest.
    StallAfter { bytes: u64, secs: u64 },
    /// Ignore `Range`/`If-Range`: always send the whole file with 200.
    IgnoreRange,
    /// Answer with this status, content type and body instead of handling the request: a broken or
    /// hostile server's reply (malformed JSON, a listing with `..` in its paths).
    Reply {
        code: u16,
        content_type: String,
        body: String,
    },
    /// Give the file a different `ETag`/`Last-Modified` on every request, so `If-Range` never matches.
    ChangeValidator,
    /// Answer `code` (with `Retry-After` when given) to a request that arrives while more than `above`
    /// others are being answered: a host that takes only so many connections.
    Crowded {
        above: u32,
        code: u16,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// Hold each request `ms_each` for every request being answered beyond `above`: a host whose
    /// answers slow down as work queues on it.
    Queueing { above: u32, ms_each: u64 },
}

impl FaultRule {
    /// A rule for every request under `path_prefix`, any method, with no limit.
    pub fn new(path_prefix: impl Into<String>, action: FaultAction) -> FaultRule {
        FaultRule {
            path_prefix: path_prefix.into(),
            method: None,
            times: None,
            action,
        }
    }

    /// Only requests with this method.
    pub fn method(mut self, method: impl Into<String>) -> FaultRule {
        self.method = Some(method.into());
        self
    }

    /// Only the next `times` matching requests.
    pub fn times(mut self, times: u32) -> FaultRule {
        self.times = Some(times);
        self
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        path.starts_with(&self.path_prefix)
            && self
                .method
                .as_deref()
                .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method.as_str()))
    }
}

/// How a response body is damaged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyFault {
    Reset { after: u64 },
    Truncate { after: u64 },
    Stall { after: u64, pause: Duration },
}

/// Everything the matching rules do to one request.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    pub(crate) delay: Duration,
    /// Status code and optional `Retry-After` seconds.
    pub(crate) status: Option<(u16, Option<u64>)>,
    pub(crate) body: Option<BodyFault>,
    pub(crate) ignore_range: bool,
    /// Seconds to add to the served file's modification time.
    pub(crate) validator_shift: Option<i64>,
    /// A whole reply to send instead: status, content type, body.
    pub(crate) reply: Option<(u16, String, String)>,
}

/// The fault rules of one sim; shared by the server and the test that owns it.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
    global_delay: Mutex<Duration>,
    validator_changes: AtomicI64,
    in_flight: Arc<InFlight>,
}

/// The requests being answered (from arrival to the end of their body), and the most there were at once.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    now: AtomicU32,
    peak: AtomicU32,
}

/// One request being answered; dropped when its answer has gone out (or was abandoned).
pub(crate) struct Answering {
    in_flight: Arc<InFlight>,
    /// The requests being answered when this one arrived, itself included.
    pub(crate) count: u32,
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.in_flight.now.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Faults {
    /// Adds a rule; rules apply in the order added, and every matching rule counts the request.
    pub fn add(&self, rule: FaultRule) {
        self.rules
            .lock()
            .expect("fault rules lock poisoned")
            .push(rule);
    }

    /// Removes every rule and the global delay.
    pub fn clear(&self) {
        self.rules
            .lock()
            .expect("fault rules lock poisoned")
            .clear();
        self.set_global_delay(Duration::ZERO);
    }

    /// A delay added to every API and file request (benchmarks use 20 ms).
    pub fn set_global_delay(&self, delay: Duration) {
        *self
            .global_delay
            .lock()
            .expect("global delay lock poisoned") = delay;
    }

    pub fn global_delay(&self) -> Duration {
        *self
            .global_delay
            .lock()
            .expect("global delay lock poisoned")
    }

    /// Counts a request as being answered until the returned guard is dropped.
    pub(crate) fn arrive(&self) -> Answering {
        let count = self.in_flight.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.in_flight.peak.fetch_max(count, Ordering::Relaxed);
        Answering {
            in_flight: self.in_flight.clone(),
            count,
        }
    }

    /// The most requests answered at once since the last reset.
    pub fn peak_in_flight(&self) -> u32 {
        self.in_flight.peak.load(Ordering::Relaxed)
    }

    /// Counts the peak from the requests being answered now.
    pub fn reset_peak(&self) {
        let now = self.in_flight.now.load(Ordering::Relaxed);
        self.in_flight.peak.store(now, Ordering::Relaxed);
    }

    /// The rules currently in force, with their remaining counts.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules
            .lock()
            .expect("fault rules lock poisoned")
            .clone()
    }

    /// Applies and uses up the rules matching one request, which arrived while `answering` requests
    /// (itself included) were being answered.
    pub(crate) fn plan(&self, method: &Method, path: &str, answering: u32) -> FaultPlan {
        let mut plan = FaultPlan {
            delay: self.global_delay(),
            ..FaultPlan::default()
        };
        let mut rules = self.rules.lock().expect("fault rules lock poisoned");
        for rule in rules.iter_mut().filter(|rule| rule.matches(method, path)) {
            if let Some(times) = &mut rule.times {
                *times = times.saturating_sub(1);
            }
            match rule.action.clone() {
                FaultAction::Latency { ms } => plan.delay += Duration::from_millis(ms),
                FaultAction::Status {
                    code,
                    retry_after_secs,
                } => {
                    plan.status.get_or_insert((code, retry_after_secs));
                }
                FaultAction::ResetAfter { bytes } => {
                    plan.body.get_or_insert(BodyFault::Reset { after: bytes });
                }
                FaultAction::TruncateAfter { bytes } => {
                    plan.body
                        .get_or_insert(BodyFault::Truncate { after: bytes });
                }
                FaultAction::StallAfter { bytes, secs } => {
                    plan.body.get_or_insert(BodyFault::Stall {
                        after: bytes,
                        pause: Duration::from_secs(secs),
                    });
                }
                FaultAction::IgnoreRange => plan.ignore_range = true,
                FaultAction::Reply {
                    code,
                    content_type,
                    body,
                } => {
                    plan.reply.get_or_insert((code, content_type, body));
                }
                FaultAction::ChangeValidator => {
                    plan.validator_shift =
                        Some(self.validator_changes.fetch_add(1, Ordering::Relaxed) + 1);
                }
                FaultAction::Crowded {
                    above,
                    code,
                    retry_after_secs,
                } => {
                    if answering > above {
                        plan.status.get_or_insert((code, retry_after_secs));
                    }
                }
                FaultAction::Queueing { above, ms_each } => {
                    let beyond = u64::from(answering.saturating_sub(above));
                    plan.delay += Duration::from_millis(ms_each * beyond);
                }
            }
        }
        rules.retain(|rule| rule.times != Some(0));
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_by_prefix_and_method_and_run_out() {
        let faults = Faults::default();
        faults.add(
            FaultRule::new(
                "/files-desaccess/",
                FaultAction::Status {
                    code: 503,
                    retry_after_secs: None,
                },
            )
            .times(1),
        );
        faults.add(
            FaultRule::new("/files-desaccess/", FaultAction::Latency { ms: 5 }).method("head"),
        );
        assert_eq!(
            faults.plan(&Method::GET, "/desaccess/api/login", 1).status,
            None
        );
        let plan = faults.plan(&Method::HEAD, "/files-desaccess/demo", 1);
        assert_eq!(plan.status, Some((503, None)));
        assert_eq!(plan.delay, Duration::from_millis(5));
        assert_eq!(
            faults.plan(&Method::GET, "/files-desaccess/demo", 1).status,
            None
        );
        assert_eq!(faults.rules().len(), 1);
    }

    #[test]
    fn a_crowded_host_refuses_beyond_its_connections_and_a_queueing_one_slows() {
        let faults = Faults::default();
        faults.add(FaultRule::new(
            "/files/",
            FaultAction::Crowded {
                above: 8,
                code: 503,
                retry_after_secs: None,
            },
        ));
        faults.add(FaultRule::new(
            "/files/",
            FaultAction::Queueing {
                above: 2,
                ms_each: 10,
            },
        ));
        let at = |answering| faults.plan(&Method::GET, "/files/a", answering);
        assert_eq!(
            (at(8).status, at(8).delay),
            (None, Duration::from_millis(60))
        );
        assert_eq!(at(9).status, Some((503, None)));
        assert_eq!(at(2).delay, Duration::ZERO);
        assert_eq!(faults.rules().len(), 2, "they never run out");
    }

    #[test]
    fn requests_in_flight_are_counted_with_their_peak() {
        let faults = Faults::default();
        let first = faults.arrive();
        let second = faults.arrive();
        assert_eq!((first.count, second.count), (1, 2));
        drop(second);
        assert_eq!(faults.arrive().count, 2);
        assert_eq!(faults.peak_in_flight(), 2);
        drop(first);
        faults.reset_peak();
        assert_eq!(faults.peak_in_flight(), 0);
    }

    #[test]
    fn rules_round_trip_as_json() {
        let json = r#"{"path_prefix":"/x","times":2,"kind":"stall_after","bytes":10,"secs":3}"#;
        let rule: FaultRule = serde_json::from_str(json).unwrap();
        assert_eq!(
            rule,
            FaultRule::new("/x", FaultAction::StallAfter { bytes: 10, secs: 3 }).times(2)
        );
    }
}
