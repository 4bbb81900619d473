//! The host's notion of "now", behind a trait so tests can move time.
//!
//! Lock expiry (30 minutes), access-token expiry and the proof-key timestamp window all read the time through
//! [`Clock`]; production uses [`SystemClock`], tests use [`TestClock`] and advance it instead of sleeping.
//! The clock is shared as `Arc<dyn Clock>`.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The real system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when a test moves it.
#[derive(Debug)]
pub struct TestClock {
    now: Mutex<SystemTime>,
}

impl TestClock {
    /// A clock stopped at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self { now: Mutex::new(start) }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now += by;
    }

    /// Sets the clock to `to` (which may be earlier than now).
    pub fn set(&self, to: SystemTime) {
        *self.lock() = to;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SystemTime> {
        // A poisoned lock only means a test panicked while holding it; the time value is still valid.
        self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for TestClock {
    /// A clock stopped at the current system time.
    fn default() -> Self {
        Self::new(SystemTime::now())
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_only_when_told() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let clock = TestClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(60));
        assert_eq!(clock.now(), start + Duration::from_secs(60));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn system_clock_is_close_to_now() {
        let diff = SystemClock
            .now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        assert!(diff > 1_600_000_000);
    }
}
