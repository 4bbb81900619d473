//! .NET's ways of writing time and booleans, as Office, the validator and WOPI hosts put them on the wire.
//!
//! - [`Ticks`]: a `DateTime.Ticks` value, the unit of `X-WOPI-TimeStamp` (100-ns intervals since 0001-01-01 UTC),
//!   with conversions to and from [`SystemTime`] and saturating arithmetic.
//! - [`UtcDateTime`]: the civil (proleptic Gregorian) date and time of a tick count, the `o` round-trip format
//!   that `LastModifiedTime` uses (`2009-06-15T13:45:30.0000000Z`), RFC 3339 at second precision, and the
//!   validator's timestamp attribute (`2015-08-17T00:00:00Z`).
//! - [`bool_str`]: `bool.ToString()`, the `True`/`False` that boolean headers carry.
//!
//! Every other crate of the toolkit goes through this module for these rules; none does its own date arithmetic.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// .NET ticks per second (one tick is 100 ns).
pub const TICKS_PER_SEC: u64 = 10_000_000;
/// Ticks of 1970-01-01T00:00:00Z (`new DateTime(1970, 1, 1).Ticks`).
const UNIX_EPOCH_TICKS: u64 = 621_355_968_000_000_000;
/// `DateTime.MaxValue.Ticks` (9999-12-31T23:59:59.9999999): no .NET client can send more.
pub const MAX_DOTNET_TICKS: u64 = 3_155_378_975_999_999_999;
const SECS_PER_DAY: i64 = 86_400;

/// `bool.ToString()`: `True` or `False`, what Office's and the validator's boolean headers carry.
#[must_use]
pub fn bool_str(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

// ---------------------------------------------------------------------------------------------------------------
// Ticks
// ---------------------------------------------------------------------------------------------------------------

/// A .NET `DateTime.Ticks` value: 100-ns intervals since 0001-01-01T00:00:00Z, the unit of `X-WOPI-TimeStamp`
/// (not Unix seconds; see Office-Online-Test-Tools-and-Documentation#63).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticks(pub u64);

/// A string that is not a tick count; holds the value (cut to 64 characters) for the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a .NET tick count (decimal 100-ns intervals since 0001-01-01)")]
pub struct MalformedTicks(pub String);

impl Ticks {
    /// 1970-01-01T00:00:00Z in ticks.
    pub const UNIX_EPOCH: Ticks = Ticks(UNIX_EPOCH_TICKS);

    /// Ticks of a point in time. Times before 0001-01-01 saturate to 0; times after 9999 saturate to `u64::MAX`.
    #[must_use]
    pub fn from_system_time(time: SystemTime) -> Ticks {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Ticks(UNIX_EPOCH_TICKS.saturating_add(duration_to_ticks(after))),
            Err(before) => Ticks(UNIX_EPOCH_TICKS.saturating_sub(duration_to_ticks(before.duration()))),
        }
    }

    /// The current time in ticks.
    #[must_use]
    pub fn now() -> Ticks {
        Ticks::from_system_time(SystemTime::now())
    }

    /// The point in time, or `None` if the platform's `SystemTime` cannot represent it.
    #[must_use]
    pub fn to_system_time(self) -> Option<SystemTime> {
        if self.0 >= UNIX_EPOCH_TICKS {
            UNIX_EPOCH.checked_add(ticks_to_duration(self.0 - UNIX_EPOCH_TICKS))
        } else {
            UNIX_EPOCH.checked_sub(ticks_to_duration(UNIX_EPOCH_TICKS - self.0))
        }
    }

    /// `secs` seconds later (earlier if negative), saturating at 0 and `u64::MAX`.
    #[must_use]
    pub fn saturating_add_secs(self, secs: i64) -> Ticks {
        let ticks = i128::from(self.0) + i128::from(secs) * i128::from(TICKS_PER_SEC);
        Ticks(u64::try_from(ticks.max(0)).unwrap_or(u64::MAX))
    }

    /// `d` later, saturating at `u64::MAX`.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Ticks {
        Ticks(self.0.saturating_add(duration_to_ticks(d)))
    }

    /// The ticks as a [`Duration`] (for differences of two tick counts).
    #[must_use]
    pub fn as_duration(self) -> Duration {
        ticks_to_duration(self.0)
    }

    /// Parses an `X-WOPI-TimeStamp` value: decimal digits only (surrounding whitespace allowed), at most
    /// `DateTime.MaxValue.Ticks`.
    ///
    /// # Errors
    /// [`MalformedTicks`] naming the value, for empty input, a sign, any non-digit, or overflow.
    pub fn parse(value: &str) -> Result<Ticks, MalformedTicks> {
        let digits = value.trim();
        let malformed = || MalformedTicks(truncate_for_message(value));
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let ticks: u64 = digits.parse().map_err(|_| malformed())?;
        if ticks > MAX_DOTNET_TICKS {
            return Err(malformed());
        }
        Ok(Ticks(ticks))
    }
}

impl fmt::Display for Ticks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whole ticks in `d` (sub-tick nanoseconds are dropped), saturating at `u64::MAX`.
#[must_use]
pub fn duration_to_ticks(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(TICKS_PER_SEC)
        .saturating_add(u64::from(d.subsec_nanos() / 100))
}

fn ticks_to_duration(ticks: u64) -> Duration {
    // The remainder is < 10^7, so the sub-second part is < 10^9 ns and fits u32.
    let sub_ns = u32::try_from((ticks % TICKS_PER_SEC) * 100).unwrap_or(0);
    Duration::new(ticks / TICKS_PER_SEC, sub_ns)
}

/// Keeps error messages bounded when a peer sends a huge header.
fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut s: String = value.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Civil dates
// ---------------------------------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). `month` is 1..=12; the
/// day is not checked against the month (see [`days_in_month`]).
#[must_use]
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`); the inverse of [`days_from_civil`].
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small positive numbers by construction (1..=31 and 1..=12).
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days in `month` (1..=12) of `year`, Gregorian leap rules; 0 for a month out of range.
#[must_use]
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A UTC date and time to the tick, on the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDateTime {
    pub year: i64,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0..=23.
    pub hour: u32,
    /// 0..=59.
    pub minute: u32,
    /// 0..=59.
    pub second: u32,
    /// Ticks within the second, 0..10^7.
    pub tick: u32,
}

impl UtcDateTime {
    /// The date and time of a tick count.
    #[must_use]
    pub fn from_ticks(ticks: Ticks) -> UtcDateTime {
        let since_epoch = i128::from(ticks.0) - i128::from(UNIX_EPOCH_TICKS);
        let per_sec = i128::from(TICKS_PER_SEC);
        let secs = since_epoch.div_euclid(per_sec);
        // u64 ticks are at most ~1.8e12 seconds from the epoch, well inside i64.
        let secs = i64::try_from(secs).unwrap_or(0);
        let (days, rem) = (secs.div_euclid(SECS_PER_DAY), secs.rem_euclid(SECS_PER_DAY));
        let (year, month, day) = civil_from_days(days);
        let small = |v: i64| u32::try_from(v).unwrap_or(0);
        UtcDateTime {
            year,
            month,
            day,
            hour: small(rem / 3600),
            minute: small(rem % 3600 / 60),
            second: small(rem % 60),
            tick: u32::try_from(since_epoch.rem_euclid(per_sec)).unwrap_or(0),
        }
    }

    /// The date and time of a point in time (see [`Ticks::from_system_time`] for the range).
    #[must_use]
    pub fn from_system_time(t: SystemTime) -> UtcDateTime {
        UtcDateTime::from_ticks(Ticks::from_system_time(t))
    }

    /// The tick count, or `None` if a field is out of range or the instant lies outside
    /// 0001-01-01 ..= `DateTime.MaxValue`.
    #[must_use]
    pub fn to_ticks(&self) -> Option<Ticks> {
        let valid = (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
            && u64::from(self.tick) < TICKS_PER_SEC;
        if !valid {
            return None;
        }
        let days = i128::from(days_from_civil(self.year, self.month, self.day));
        let secs = days * i128::from(SECS_PER_DAY) + i128::from(self.hour * 3600 + self.minute * 60 + self.second);
        let ticks = i128::from(UNIX_EPOCH_TICKS) + secs * i128::from(TICKS_PER_SEC) + i128::from(self.tick);
        u64::try_from(ticks).ok().filter(|&t| t <= MAX_DOTNET_TICKS).map(Ticks)
    }

    /// Parses the validator's UTC timestamp attribute: `YYYY-MM-DD[(T| )hh[:mm[:ss[.fffffff]]]][Z]`. Digits past
    /// the seventh of the fraction are dropped (a tick is the finest unit).
    ///
    /// Returns `None` for anything else, including a date that does not exist (`2015-02-30`).
    #[must_use]
    pub fn parse(s: &str) -> Option<UtcDateTime> {
        let s = s.trim();
        let s = s.strip_suffix('Z').unwrap_or(s);
        let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00"));
        let mut d = date.split('-');
        let year = parse_digits(d.next()?)?;
        let month = parse_digits(d.next()?)?;
        let day = parse_digits(d.next()?)?;
        let mut t = time.split(':');
        let hour = parse_digits(t.next()?)?;
        let minute = t.next().map_or(Some(0), parse_digits)?;
        let (second, tick) = match t.next() {
            None => (0, 0),
            Some(sec) => parse_seconds(sec)?,
        };
        if d.next().is_some() || t.next().is_some() {
            return None;
        }
        let parsed = UtcDateTime {
            year: i64::from(year),
            month,
            day,
            hour,
            minute,
            second,
            tick,
        };
        parsed.to_ticks().map(|_| parsed)
    }

    /// .NET's `o` round-trip format of a UTC `DateTime`: `2009-06-15T13:45:30.0000000Z`, the form the docs ask
    /// for in `LastModifiedTime`.
    #[must_use]
    pub fn round_trip(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.tick
        )
    }

    /// RFC 3339 UTC at second precision: `2015-08-17T00:00:00Z` (the fraction is dropped).
    #[must_use]
    pub fn rfc3339_seconds(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// One to nine ASCII digits (no sign) as a number.
fn parse_digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `ss[.fffffff]` as whole seconds and ticks.
fn parse_seconds(s: &str) -> Option<(u32, u32)> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let second = parse_digits(whole)?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && fraction.is_empty()) {
        return None;
    }
    let mut tick = 0u32;
    for i in 0..7 {
        let digit = fraction.as_bytes().get(i).map_or(0, |b| u32::from(b - b'0'));
        tick = tick * 10 + digit;
    }
    Some((second, tick))
}

/// `t` in .NET's `o` round-trip format (see [`UtcDateTime::round_trip`]).
#[must_use]
pub fn round_trip_string(t: SystemTime) -> String {
    UtcDateTime::from_system_time(t).round_trip()
}

/// `t` as RFC 3339 UTC at second precision (see [`UtcDateTime::rfc3339_seconds`]).
#[must_use]
pub fn rfc3339_seconds(t: SystemTime) -> String {
    UtcDateTime::from_system_time(t).rfc3339_seconds()
}

/// The validator's timestamp attribute as ticks (see [`UtcDateTime::parse`]).
#[must_use]
pub fn parse_utc_ticks(s: &str) -> Option<Ticks> {
    UtcDateTime::parse(s).and_then(|d| d.to_ticks())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn booleans_are_spelled_as_dotnet_writes_them() {
        assert_eq!(bool_str(true), "True");
        assert_eq!(bool_str(false), "False");
    }

    #[test]
    fn known_instants_convert_both_ways() {
        // The validator's reference timestamp and its ticks.
        assert_eq!(
            parse_utc_ticks("2015-08-17T00:00:00Z"),
            Some(Ticks(635_753_664_000_000_000))
        );
        assert_eq!(parse_utc_ticks("1970-01-01"), Some(Ticks::UNIX_EPOCH));
        assert_eq!(parse_utc_ticks("0001-01-01T00:00:00"), Some(Ticks(0)));
        assert_eq!(
            parse_utc_ticks("9999-12-31T23:59:59.9999999Z"),
            Some(Ticks(MAX_DOTNET_TICKS))
        );
        assert_eq!(
            parse_utc_ticks("2020-01-01 12:00"),
            parse_utc_ticks("2020-01-01T12:00:00.0Z")
        );
        let t = UNIX_EPOCH + Duration::new(1_245_073_530, 123_456_700);
        assert_eq!(round_trip_string(t), "2009-06-15T13:45:30.1234567Z");
        assert_eq!(round_trip_string(UNIX_EPOCH), "1970-01-01T00:00:00.0000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(round_trip_string(leap), "2000-02-29T00:00:00.0000000Z");
        assert_eq!(rfc3339_seconds(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(1_439_769_600)),
            "2015-08-17T00:00:00Z"
        );
        assert_eq!(
            UtcDateTime::from_ticks(Ticks(0)).round_trip(),
            "0001-01-01T00:00:00.0000000Z"
        );
    }

    #[test]
    fn malformed_or_impossible_timestamps_are_refused() {
        for bad in [
            "yesterday",
            "",
            "2015-08",
            "2015-13-01",
            "2015-02-29",
            "2015-04-31",
            "2015-08-17T24:00",
            "2015-08-17T10:60",
            "2015-08-17T10:00:60",
            "2015-08-17T10:00:-1",
            "2015-08-17T10:00:00.",
            "2015-08-17T10:00:00:00",
            "2015-08-17-01",
            "+2015-08-17",
            "10000-01-01",
        ] {
            assert_eq!(parse_utc_ticks(bad), None, "{bad:?}");
        }
        assert_eq!(parse_utc_ticks("2016-02-29"), Some(Ticks(635_923_008_000_000_000)));
    }

    #[test]
    fn tick_arithmetic_saturates_at_both_ends() {
        let now = Ticks(1_000_000_000_000);
        assert_eq!(now.saturating_add_secs(-1190), Ticks(now.0 - 1190 * 10_000_000));
        assert_eq!(now.saturating_add_secs(60), Ticks(now.0 + 60 * 10_000_000));
        assert_eq!(Ticks(5).saturating_add_secs(-1), Ticks(0));
        assert_eq!(Ticks(u64::MAX - 1).saturating_add_secs(1), Ticks(u64::MAX));
        assert_eq!(Ticks(u64::MAX - 1).saturating_add_secs(i64::MAX), Ticks(u64::MAX));
        assert_eq!(Ticks(1).saturating_add(Duration::from_micros(1)), Ticks(11));
        assert_eq!(Ticks(u64::MAX).saturating_add(Duration::from_secs(1)), Ticks(u64::MAX));
        assert_eq!(Ticks(15).as_duration(), Duration::from_nanos(1500));
    }

    proptest! {
        #[test]
        fn ticks_round_trip_through_civil_time(t in 0..=MAX_DOTNET_TICKS) {
            let civil = UtcDateTime::from_ticks(Ticks(t));
            prop_assert_eq!(civil.to_ticks(), Some(Ticks(t)));
            prop_assert_eq!(UtcDateTime::parse(&civil.round_trip()), Some(civil));
            prop_assert_eq!(parse_utc_ticks(&civil.rfc3339_seconds()), Some(Ticks(t - t % TICKS_PER_SEC)));
        }

        #[test]
        fn days_and_civil_dates_are_inverse(days in -800_000i64..3_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn system_time_round_trips_to_the_tick(secs in 0u64..250_000_000_000, sub in 0u32..10_000_000) {
            let t = UNIX_EPOCH + Duration::new(secs, sub * 100);
            let ticks = Ticks::from_system_time(t);
            prop_assert_eq!(ticks.to_system_time(), Some(t));
            prop_assert_eq!(Ticks::parse(&ticks.to_string()), Ok(ticks));
        }

        #[test]
        fn before_the_epoch_round_trips_too(secs in 1u64..62_135_596_800) {
            let t = UNIX_EPOCH - Duration::from_secs(secs);
            prop_assert_eq!(Ticks::from_system_time(t).to_system_time(), Some(t));
        }
    }
}
