//! The parameters of one lock race (`<ext:LockRace>`): which operations, how many clients and operations, the
//! seed and the budgets. They live in the suite model because the parser builds them from a suite's attributes; the
//! race engine (`race`, which re-exports them) runs them.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The most clients a race may have.
pub const MAX_CLIENTS: u16 = 64;
/// The most operations a race may plan (bounds the history the linearizability search sees).
pub const MAX_OPERATIONS: u32 = 2_000;

/// Which operations the clients race.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpMix {
    /// Lock with each client's own ID only.
    LockOnly,
    /// Lock, Unlock (own, learned and other IDs), RefreshLock, GetLock.
    LockUnlock,
    /// Lock, UnlockAndRelock (with own, learned and stale old IDs), Unlock, GetLock.
    Relock,
    /// Lock, Unlock, PutFile with own, learned, stale and other clients' IDs (unique bodies), GetFile.
    PutFile,
    /// All of the above, and RefreshLock with stale IDs.
    #[default]
    Mixed,
}

impl OpMix {
    /// Every mix, as written in suites.
    pub const ALL: [OpMix; 5] = [
        OpMix::LockOnly,
        OpMix::LockUnlock,
        OpMix::Relock,
        OpMix::PutFile,
        OpMix::Mixed,
    ];

    /// The name used in suites (`Mix="..."`).
    pub fn name(self) -> &'static str {
        match self {
            OpMix::LockOnly => "LockOnly",
            OpMix::LockUnlock => "LockUnlock",
            OpMix::Relock => "Relock",
            OpMix::PutFile => "PutFile",
            OpMix::Mixed => "Mixed",
        }
    }
}

impl fmt::Display for OpMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OpMix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OpMix::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<&str> = OpMix::ALL.iter().map(|m| m.name()).collect();
            format!("Mix=\"{s}\" is unknown; expected one of: {}", names.join(", "))
        })
    }
}

/// One race's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaceConfig {
    /// Concurrent clients (1..=[`MAX_CLIENTS`]).
    pub clients: u16,
    /// Planned operations, dealt round-robin to the clients (1..=[`MAX_OPERATIONS`]).
    pub operations: u32,
    /// The schedule's seed.
    pub seed: u64,
    pub mix: OpMix,
    /// Wall-clock budget of one run; clients stop sending when it is over.
    pub budget: Duration,
    /// Wall-clock budget for shrinking a failure.
    pub shrink_budget: Duration,
    /// Step limit of the linearizability search.
    pub max_search_steps: u64,
    /// How far the host's clock was stepped ahead of real time (the runner's `<ext:AdvanceClock>` total): proofs
    /// are timestamped that far ahead, on the host's timeline. Not a suite attribute.
    pub clock_offset: Duration,
    /// The host's instances (see the engine's `instances` module): client `i` sends through instance `i` modulo their number,
    /// so a lock kept per instance, or checked and set in separate transactions, loses the race. Not a suite
    /// attribute; empty for one instance.
    pub instances: Vec<url::Url>,
}

impl Default for RaceConfig {
    fn default() -> Self {
        RaceConfig {
            clients: 16,
            operations: 400,
            seed: 42,
            mix: OpMix::Mixed,
            budget: Duration::from_secs(30),
            shrink_budget: Duration::from_secs(30),
            max_search_steps: 5_000_000,
            clock_offset: Duration::ZERO,
            instances: Vec::new(),
        }
    }
}

impl RaceConfig {
    /// The attributes of `<ext:LockRace>` in a suite.
    pub const ATTRIBUTES: &'static [&'static str] =
        &["Clients", "Operations", "Seed", "Mix", "BudgetSeconds", "ShrinkSeconds"];

    /// A configuration from suite attributes (any of [`RaceConfig::ATTRIBUTES`]; the rest default). The error
    /// says which attribute is wrong and what was expected.
    pub fn from_attributes<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<RaceConfig, String> {
        fn number<T: FromStr>(name: &str, value: &str, what: &str) -> Result<T, String> {
            value
                .trim()
                .parse()
                .map_err(|_| format!("{name}=\"{value}\" is not {what}"))
        }
        let mut c = RaceConfig::default();
        for (name, value) in attrs {
            match name {
                "Clients" => c.clients = number(name, value, "a whole number")?,
                "Operations" => c.operations = number(name, value, "a whole number")?,
                "Seed" => c.seed = number(name, value, "a whole number")?,
                "Mix" => c.mix = value.parse()?,
                "BudgetSeconds" => c.budget = Duration::from_secs(number(name, value, "a whole number of seconds")?),
                "ShrinkSeconds" => {
                    c.shrink_budget = Duration::from_secs(number(name, value, "a whole number of seconds")?)
                }
                other => {
                    return Err(format!(
                        "unknown attribute {other} on <ext:LockRace>; expected one of: {}",
                        Self::ATTRIBUTES.join(", ")
                    ));
                }
            }
        }
        c.validate()?;
        Ok(c)
    }

    /// Whether the numbers are in range.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return Err(format!("Clients must be between 1 and {MAX_CLIENTS}"));
        }
        if !(1..=MAX_OPERATIONS).contains(&self.operations) {
            return Err(format!("Operations must be between 1 and {MAX_OPERATIONS}"));
        }
        if self.budget.is_zero() || self.budget > Duration::from_secs(600) {
            return Err("BudgetSeconds must be between 1 and 600".to_owned());
        }
        if self.shrink_budget > Duration::from_secs(600) {
            return Err("ShrinkSeconds must be at most 600".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_attributes_parse_and_bad_ones_are_explained() {
        let c = RaceConfig::from_attributes([
            ("Clients", "8"),
            ("Operations", "100"),
            ("Seed", "7"),
            ("Mix", "Relock"),
        ])
        .unwrap();
        assert_eq!((c.clients, c.operations, c.seed, c.mix), (8, 100, 7, OpMix::Relock));
        assert_eq!(RaceConfig::from_attributes([]).unwrap(), RaceConfig::default());
        let e = RaceConfig::from_attributes([("Mix", "Everything")]).unwrap_err();
        assert!(e.contains("LockOnly, LockUnlock, Relock, PutFile, Mixed"), "{e}");
        let e = RaceConfig::from_attributes([("Clients", "0")]).unwrap_err();
        assert!(e.contains("between 1 and 64"), "{e}");
        let e = RaceConfig::from_attributes([("Clients", "many")]).unwrap_err();
        assert!(e.contains("not a whole number"), "{e}");
        let e = RaceConfig::from_attributes([("Clinets", "3")]).unwrap_err();
        assert!(e.contains("unknown attribute Clinets"), "{e}");
    }
}
