//! Rate limits, counted by `governor` (GCRA), one budget per kind of request, each kept per
//! user (session) and per client IP: reads (polling `GET /state` and other reads), actions
//! (everything that changes state) and sign-in attempts (per IP and per username).
//! A limit of 0 turns that budget off.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::session;
use crate::error::ApiError;
use crate::http::ClientIp;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Reads,
    Actions,
    SignIn,
}

/// Per-minute limits; the per-IP budget is twice the per-user one, as one address may
/// carry several people.
#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    pub reads_per_min: u32,
    pub actions_per_min: u32,
    pub sign_in_per_min: u32,
}

struct Pair {
    per_key: Option<DefaultKeyedRateLimiter<String>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Pair {
    fn new(per_min: u32, ip_factor: u32) -> Pair {
        let quota = |n: u32| NonZeroU32::new(n).map(Quota::per_minute);
        Pair {
            per_key: quota(per_min).map(RateLimiter::keyed),
            per_ip: quota(per_min.saturating_mul(ip_factor)).map(RateLimiter::keyed),
        }
    }
}

pub struct RateLimits {
    reads: Pair,
    actions: Pair,
    sign_in: Pair,
    clock: DefaultClock,
}

impl RateLimits {
    pub fn new(settings: LimitSettings) -> Self {
        RateLimits {
            reads: Pair::new(settings.reads_per_min, 2),
            actions: Pair::new(settings.actions_per_min, 2),
            sign_in: Pair::new(settings.sign_in_per_min, 1),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from `budget` for this key (a session token or a username) and IP.
    pub fn check(&self, budget: Budget, key: Option<&str>, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let pair = match budget {
            Budget::Reads => &self.reads,
            Budget::Actions => &self.actions,
            Budget::SignIn => &self.sign_in,
        };
        let mut wait = Duration::ZERO;
        if let (Some(limiter), Some(ip)) = (&pair.per_ip, ip) {
            if let Err(not_until) = limiter.check_key(&ip) {
                wait = wait.max(not_until.wait_time_from(self.clock.now()));
            }
        }
        if let (Some(limiter), Some(key)) = (&pair.per_key, key) {
            if let Err(not_until) = limiter.check_key(&key.to_lowercase()) {
                wait = wait.max(not_until.wait_time_from(self.clock.now()));
            }
        }
        if wait.is_zero() {
            return Ok(());
        }
        tracing::info!(?budget, ?ip, "rate limited");
        Err(ApiError::RateLimited { retry_after_secs: wait.as_secs_f64().ceil() as u64 })
    }

    /// Forgets keys that have been quiet long enough to be back at a full budget.
    pub fn forget_idle(&self) {
        for pair in [&self.reads, &self.actions, &self.sign_in] {
            if let Some(limiter) = &pair.per_key {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
            if let Some(limiter) = &pair.per_ip {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }
}

/// Middleware for the API: reads and actions each take from their own budget.
pub async fn limit_api(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let budget = match *request.method() {
        Method::GET | Method::HEAD | Method::OPTIONS => Budget::Reads,
        _ => Budget::Actions,
    };
    let token = session::request_token(request.headers()).map(|(token, _)| token);
    app.limits.check(budget, token.as_deref(), ip)?;
    Ok(next.run(request).await)
}

/// Runs [`RateLimits::forget_idle`] every few minutes for as long as `limits` lives.
pub fn spawn_cleanup(limits: &Arc<RateLimits>) {
    let weak = Arc::downgrade(limits);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            let Some(limits) = weak.upgrade() else { return };
            limits.forget_idle();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_runs_out_and_says_when_to_come_back() {
        let limits = RateLimits::new(LimitSettings { reads_per_min: 3, actions_per_min: 0, sign_in_per_min: 2 });
        let ip = Some("10.0.0.1".parse().unwrap());
        for _ in 0..3 {
            limits.check(Budget::Reads, Some("alice"), ip).unwrap();
        }
        let Err(ApiError::RateLimited { retry_after_secs }) = limits.check(Budget::Reads, Some("alice"), ip) else {
            panic!("the fourth read in a minute is limited")
        };
        assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}");
        limits.check(Budget::Reads, Some("bob"), Some("10.0.0.2".parse().unwrap())).unwrap();
        for _ in 0..100 {
            limits.check(Budget::Actions, Some("alice"), ip).unwrap();
        }
    }

    #[test]
    fn usernames_count_whatever_their_case() {
        let limits = RateLimits::new(LimitSettings { reads_per_min: 0, actions_per_min: 0, sign_in_per_min: 1 });
        limits.check(Budget::SignIn, Some("Alice"), None).unwrap();
        assert!(limits.check(Budget::SignIn, Some("alice"), None).is_err());
    }
}
