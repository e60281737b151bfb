//! Retry policy: which failures are transient (retried), which give up at once (a statement
//! timeout: 503), the cause each names for the log, and how long to wait before the next
//! attempt (exponential back-off with full jitter, within a total time budget). Pure: the
//! jitter and the elapsed time are passed in.

/// Back-off settings (configurable from the environment, see `config.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first one included (1 = no retry).
    pub max_attempts: u32,
    /// Base delay in ms: the ceiling before attempt 2 is `base_ms`, then doubles.
    pub base_ms: u64,
    /// Largest ceiling for one delay, in ms.
    pub cap_ms: u64,
    /// Total time budget for the request's attempts and waits, in ms.
    pub budget_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_ms: 50,
            cap_ms: 1_000,
            budget_ms: 5_000,
        }
    }
}

/// What a failed RPC attempt means for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Transient: worth another attempt after a back-off (no answer, the database API or
    /// the database unreachable, a serialization failure, a deadlock, a lock wait that
    /// timed out).
    Retry,
    /// The database gave up on the statement after its `statement_timeout` (57014). It is
    /// not retried within the request: the same statement would most likely run into the
    /// same timeout and hold a connection as long again, under the load that made it slow.
    /// Answered 503 with `Retry-After`, so the client comes back later.
    GiveUp,
    /// Anything else: an answer to translate for the client, never retried.
    Final,
}

/// Decides how a failed RPC is handled. `status` is `None` for a network error (no
/// response); `code` is the `code` field of PostgREST's error body, if any. The body's code
/// matters because a serialization failure (40001), a deadlock (40P01), a lock timeout
/// (55P03) or a statement timeout (57014) arrive as HTTP 500.
pub fn failure(status: Option<u16>, code: Option<&str>) -> Failure {
    let Some(status) = status else {
        return Failure::Retry;
    };
    match code {
        Some("57014") => Failure::GiveUp,
        _ if matches!(status, 502..=504) => Failure::Retry,
        Some(c) if c.starts_with("08") => Failure::Retry,
        Some(
            "53300" | "57P01" | "40001" | "40P01" | "55P03" | "PGRST000" | "PGRST001" | "PGRST002"
            | "PGRST003",
        ) => Failure::Retry,
        _ => Failure::Final,
    }
}

/// The cause a SQLSTATE or PostgREST code names, for log lines.
pub fn cause(code: &str) -> Option<&'static str> {
    let cause = match code {
        "57014" => "statement timeout",
        "55P03" => "lock timeout",
        "40001" => "serialization failure",
        "40P01" => "deadlock",
        "53300" => "too many connections",
        "57P01" => "database shutting down",
        "PGRST000" | "PGRST001" | "PGRST002" => "database unreachable",
        "PGRST003" => "database pool timeout",
        c if c.starts_with("08") => "database connection lost",
        _ => return None,
    };
    Some(cause)
}

impl RetryPolicy {
    /// The wait before the attempt after `attempt` (1-based: the attempt that just failed),
    /// given `jitter` in [0, 1): full jitter, `jitter * min(cap, base * 2^(attempt-1))`.
    pub fn delay_ms(&self, attempt: u32, jitter: f64) -> u64 {
        let exp = attempt.saturating_sub(1).min(32);
        let ceiling = self.base_ms.saturating_mul(1u64 << exp).min(self.cap_ms);
        let j = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        (ceiling as f64 * j).floor() as u64
    }

    /// The next wait, or `None` to stop: when the attempts are used up, or the wait would
    /// take the request past its budget (`elapsed_ms` since the request began).
    pub fn next_delay(&self, attempt: u32, jitter: f64, elapsed_ms: u64) -> Option<u64> {
        if attempt >= self.max_attempts {
            return None;
        }
        let delay = self.delay_ms(attempt, jitter);
        (elapsed_ms.saturating_add(delay) < self.budget_ms).then_some(delay)
    }

    /// The `Retry-After` value (whole seconds, at least 1) suggested when retries run out.
    pub fn retry_after_s(&self) -> u32 {
        (self.cap_ms.div_ceil(1000)).clamp(1, 60) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn retryable(status: Option<u16>, code: Option<&str>) -> bool {
        failure(status, code) == Failure::Retry
    }

    #[test]
    fn network_errors_and_gateway_statuses_are_retried() {
        assert!(retryable(None, None));
        for s in [502, 503, 504] {
            assert!(retryable(Some(s), None), "{s}");
        }
    }

    #[test]
    fn transient_database_codes_are_retried_whatever_the_status() {
        for c in [
            "08000", "08006", "08P01", "53300", "57P01", "40001", "40P01", "55P03", "PGRST000",
            "PGRST001", "PGRST002", "PGRST003",
        ] {
            assert!(retryable(Some(500), Some(c)), "{c}");
            assert!(cause(c).is_some(), "{c} is named in the log");
        }
        assert_eq!(cause("55P03"), Some("lock timeout"));
    }

    #[test]
    fn a_statement_timeout_gives_up_without_retrying() {
        // PostgREST answers 57014 with 500; a gateway timeout status does not change that.
        for status in [500, 503, 504] {
            assert_eq!(failure(Some(status), Some("57014")), Failure::GiveUp);
            assert!(!retryable(Some(status), Some("57014")));
        }
        assert_eq!(cause("57014"), Some("statement timeout"));
        assert_eq!(failure(Some(500), Some("40001")), Failure::Retry);
        assert_eq!(failure(None, None), Failure::Retry);
        assert_eq!(failure(Some(400), Some("P0001")), Failure::Final);
        assert_eq!(cause("P0001"), None);
    }

    #[test]
    fn nothing_else_is_retried() {
        let cases: [(u16, Option<&str>); 13] = [
            (400, Some("P0001")),
            (500, Some("55000")),
            (404, Some("PT404")),
            (409, Some("23505")),
            (409, Some("PT409")),
            (401, Some("42501")),
            (401, Some("PGRST301")),
            (500, Some("57014")),
            (500, Some("53400")),
            (500, Some("XX000")),
            (404, Some("PGRST202")),
            (500, None),
            (400, None),
        ];
        for (s, c) in cases {
            assert!(!retryable(Some(s), c), "{s} {c:?}");
        }
    }

    #[test]
    fn delays_grow_exponentially_up_to_the_cap_times_jitter() {
        let p = RetryPolicy::default();
        let ceilings: Vec<u64> = (1..=7).map(|a| p.delay_ms(a, 1.0)).collect();
        assert_eq!(ceilings, [50, 100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.delay_ms(3, 0.5), 100);
        assert_eq!(p.delay_ms(3, 0.0), 0);
        assert_eq!(p.delay_ms(40, 0.999), 999);
        assert_eq!(p.delay_ms(2, f64::NAN), 0);
    }

    #[test]
    fn attempts_and_budget_bound_the_retries() {
        let p = RetryPolicy::default();
        assert_eq!(p.next_delay(1, 1.0, 0), Some(50));
        assert_eq!(p.next_delay(3, 1.0, 0), Some(200));
        assert_eq!(p.next_delay(4, 1.0, 0), None, "4 attempts in all");
        assert_eq!(
            p.next_delay(2, 1.0, 4_950),
            None,
            "would pass the 5 s budget"
        );
        assert_eq!(p.next_delay(2, 0.1, 4_950), Some(10));
    }

    #[test]
    fn retry_after_is_whole_seconds() {
        assert_eq!(RetryPolicy::default().retry_after_s(), 1);
        let p = RetryPolicy {
            cap_ms: 2_500,
            ..RetryPolicy::default()
        };
        assert_eq!(p.retry_after_s(), 3);
    }
}
