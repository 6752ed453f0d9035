//! Per-user rate limiting: each verified token's board and subject has a bucket of
//! `--rate-limit-burst` requests refilled at `--rate-limit` per second (GCRA, the `governor`
//! crate). A request past it is answered HTTP 429 with `Retry-After` before any database work.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How often (in checks) the buckets of users who have been quiet long enough to be full again
/// are dropped, so the map holds only recent users.
const FORGET_EVERY: u64 = 4096;

/// The limiter every request goes through; `None` when `--rate-limit 0` turns it off.
pub struct RateLimit {
    limiter: Option<DefaultKeyedRateLimiter<(String, String)>>,
    checks: AtomicU64,
}

impl RateLimit {
    /// `per_second` requests a second sustained (0: no limit), `burst` at once.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let limiter = std::num::NonZeroU32::new(per_second).map(|rate| {
            let burst = std::num::NonZeroU32::new(burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        RateLimit {
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request of `subject` of `board`; `Err` holds how long until the next one
    /// would be let through.
    pub fn check(&self, board: &str, subject: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&(board.to_owned(), subject.to_owned()))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}
