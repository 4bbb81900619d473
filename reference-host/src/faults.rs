//! Named, single-rule departures from the WOPI docs, used to prove that suite cases catch real bugs.
//!
//! Each [`Fault`] breaks exactly one rule in a way real hosts have broken it (see
//! `../shared/notes/ecosystem.md` §3 for the catalogue). A host starts with a [`FaultSet`] in
//! [`crate::Config::faults`]; the code checks `state.faults.has(Fault::X)` at the one place the rule is applied.
//!
//! Without the `faults` cargo feature a [`FaultSet`] cannot be built with anything in it and [`FaultSet::has`] is a
//! constant `false`, so every departure is compiled out of normal builds.

use std::fmt;
use std::str::FromStr;

/// One deliberate bug. The doc comment names the rule that it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    // --- Lock (rest/files/Lock.rst) ---
    /// Lock on a file locked with a different ID answers 200 and replaces the lock (must be 409).
    LockMismatchAnswers200,
    /// Lock with the *current* ID answers 409 instead of refreshing (Lock.rst: treat as RefreshLock).
    RelockSameIdConflicts,
    /// Lock IDs compare case-insensitively (the docs compare them exactly).
    LockIdCaseInsensitive,
    /// Locks never expire (the docs: 30 minutes).
    LockNeverExpires,
    /// Lock is check-then-set with a gap, so concurrent Lock calls can all win (must be atomic).
    NonAtomicLock,
    /// Every 409 omits the `X-WOPI-Lock` response header (must always be present on 409).
    ConflictWithoutLockHeader,
    // --- Unlock / RefreshLock / UnlockAndRelock / GetLock ---
    /// Unlock on an unlocked file answers 200 (must be 409 with an empty `X-WOPI-Lock`).
    UnlockUnlockedAnswers200,
    /// RefreshLock answers 200 but does not reset the 30-minute timer.
    RefreshDoesNotExtend,
    /// UnlockAndRelock ignores `X-WOPI-OldLock` and relocks whatever lock is current.
    RelockIgnoresOldLock,
    /// GetLock reports another file's lock (or none).
    GetLockReturnsOtherFile,
    // --- GetFile / PutFile ---
    /// GetFile ignores `X-WOPI-MaxExpectedSize` (must answer 412 when the file is larger).
    MaxExpectedSizeIgnored,
    /// GetFile omits `X-WOPI-ItemVersion`.
    GetFileWithoutItemVersion,
    /// PutFile with a lock ID that does not match the current lock writes anyway.
    PutFileWrongLockAccepted,
    /// PutFile on an unlocked, non-empty file writes (must be 409).
    PutUnlockedNonEmptyAccepted,
    /// PutFile does not change the version (Version must change whenever the file changes).
    PutFileKeepsVersion,
    // --- CheckFileInfo ---
    /// CheckFileInfo reports `Size` as a JSON string (must be an integer).
    SizeAsString,
    /// CheckFileInfo leaves out `UserInfo` even after PutUserInfo.
    UserInfoNotReturned,
    // --- PutRelativeFile ---
    /// Suggested mode overwrites an existing file of the same name (must pick a new name).
    SuggestedModeOverwrites,
    /// Exact-mode name conflicts answer 409 without `X-WOPI-ValidRelativeTarget`.
    NoValidRelativeTarget,
    /// Exact mode overwrites an existing file without `X-WOPI-OverwriteRelativeTarget: true`.
    RelativeOverwritesWithoutFlag,
    /// The response `Name` is echoed UTF-7 encoded instead of decoded.
    RelativeNameNotDecoded,
    // --- RenameFile ---
    /// RenameFile accepts names with characters hosts must reject (for example `/` or `:`).
    RenameAcceptsInvalidChars,
    /// RenameFile answers `Name` with the extension (must be without).
    RenameNameWithExtension,
    // --- DeleteFile ---
    /// DeleteFile deletes a locked file (must be 409 with `X-WOPI-Lock`).
    DeleteLockedFile,
    // --- GetShareUrl ---
    /// GetShareUrl answers 200 for an unsupported `X-WOPI-UrlType` (must be 501).
    ShareUrlAnyType,
    // --- Containers ---
    /// DeleteContainer deletes a container that still has children (must be 409).
    DeleteNonEmptyContainer,
    /// EnumerateChildren ignores `X-WOPI-FileExtensionFilterList` and returns every file.
    EnumerateChildrenIgnoresFilter,
    /// EnumerateAncestors lists the root last (must be first: `AncestorsWithRootFirst`).
    AncestorsRootLast,
    /// GetEcosystem answers a URL without an access token (the docs: with one appended).
    EcosystemUrlWithoutToken,
    // --- Access tokens ---
    /// Expired access tokens are accepted (must be 401).
    ExpiredTokenAccepted,
    /// A token for one file opens any file (tokens must be bound to their resource).
    TokenNotBoundToResource,
    // --- Proof keys (checked by crate::proof) ---
    /// Proofs with a timestamp older than 20 minutes are accepted.
    StaleProofAccepted,
    /// Proof headers are not checked at all: unsigned and forged requests are served.
    ProofNotChecked,
    /// `X-WOPI-ProofOld` verified with the *old* key is accepted (proofkeys.rst: not one of the three combinations).
    ProofOldWithOldKeyAccepted,
    /// A proof failing with the cached keys is not retried after re-reading discovery, so a key rotation by the
    /// client locks users out until the host restarts.
    NoDiscoveryRefetch,
    // --- Host page (online/hostpage.rst, online/scenarios/postmessage.rst; applied by crate::hostpage) ---
    /// The access token (and TTL) is put in the action URL's query string (hostpage.rst: POST it in the body).
    HostPageTokenInUrl,
    /// `access_token_ttl` is sent in seconds (the docs: milliseconds since the epoch).
    HostPageTtlInSeconds,
    /// The page never sends `Host_PostmessageReady`.
    HostPageNoPostmessageReady,
    /// The page posts to the frame with a target origin that is not the client's.
    HostPageWrongTargetOrigin,
    /// The page acts on messages from any origin (must accept only the client's).
    HostPageAcceptsAnyOrigin,
    /// The page ignores `UI_Close` (must navigate to the CloseUrl).
    HostPageIgnoresClose,
}

impl Fault {
    /// Every fault, in declaration order.
    pub const ALL: &'static [Fault] = &[
        Fault::LockMismatchAnswers200,
        Fault::RelockSameIdConflicts,
        Fault::LockIdCaseInsensitive,
        Fault::LockNeverExpires,
        Fault::NonAtomicLock,
        Fault::ConflictWithoutLockHeader,
        Fault::UnlockUnlockedAnswers200,
        Fault::RefreshDoesNotExtend,
        Fault::RelockIgnoresOldLock,
        Fault::GetLockReturnsOtherFile,
        Fault::MaxExpectedSizeIgnored,
        Fault::GetFileWithoutItemVersion,
        Fault::PutFileWrongLockAccepted,
        Fault::PutUnlockedNonEmptyAccepted,
        Fault::PutFileKeepsVersion,
        Fault::SizeAsString,
        Fault::UserInfoNotReturned,
        Fault::SuggestedModeOverwrites,
        Fault::NoValidRelativeTarget,
        Fault::RelativeOverwritesWithoutFlag,
        Fault::RelativeNameNotDecoded,
        Fault::RenameAcceptsInvalidChars,
        Fault::RenameNameWithExtension,
        Fault::DeleteLockedFile,
        Fault::ShareUrlAnyType,
        Fault::DeleteNonEmptyContainer,
        Fault::EnumerateChildrenIgnoresFilter,
        Fault::AncestorsRootLast,
        Fault::EcosystemUrlWithoutToken,
        Fault::ExpiredTokenAccepted,
        Fault::TokenNotBoundToResource,
        Fault::StaleProofAccepted,
        Fault::ProofNotChecked,
        Fault::ProofOldWithOldKeyAccepted,
        Fault::NoDiscoveryRefetch,
        Fault::HostPageTokenInUrl,
        Fault::HostPageTtlInSeconds,
        Fault::HostPageNoPostmessageReady,
        Fault::HostPageWrongTargetOrigin,
        Fault::HostPageAcceptsAnyOrigin,
        Fault::HostPageIgnoresClose,
    ];

    /// The fault's name as written on the command line (the variant name).
    pub fn name(self) -> &'static str {
        match self {
            Fault::LockMismatchAnswers200 => "LockMismatchAnswers200",
            Fault::RelockSameIdConflicts => "RelockSameIdConflicts",
            Fault::LockIdCaseInsensitive => "LockIdCaseInsensitive",
            Fault::LockNeverExpires => "LockNeverExpires",
            Fault::NonAtomicLock => "NonAtomicLock",
            Fault::ConflictWithoutLockHeader => "ConflictWithoutLockHeader",
            Fault::UnlockUnlockedAnswers200 => "UnlockUnlockedAnswers200",
            Fault::RefreshDoesNotExtend => "RefreshDoesNotExtend",
            Fault::RelockIgnoresOldLock => "RelockIgnoresOldLock",
            Fault::GetLockReturnsOtherFile => "GetLockReturnsOtherFile",
            Fault::MaxExpectedSizeIgnored => "MaxExpectedSizeIgnored",
            Fault::GetFileWithoutItemVersion => "GetFileWithoutItemVersion",
            Fault::PutFileWrongLockAccepted => "PutFileWrongLockAccepted",
            Fault::PutUnlockedNonEmptyAccepted => "PutUnlockedNonEmptyAccepted",
            Fault::PutFileKeepsVersion => "PutFileKeepsVersion",
            Fault::SizeAsString => "SizeAsString",
            Fault::UserInfoNotReturned => "UserInfoNotReturned",
            Fault::SuggestedModeOverwrites => "SuggestedModeOverwrites",
            Fault::NoValidRelativeTarget => "NoValidRelativeTarget",
            Fault::RelativeOverwritesWithoutFlag => "RelativeOverwritesWithoutFlag",
            Fault::RelativeNameNotDecoded => "RelativeNameNotDecoded",
            Fault::RenameAcceptsInvalidChars => "RenameAcceptsInvalidChars",
            Fault::RenameNameWithExtension => "RenameNameWithExtension",
            Fault::DeleteLockedFile => "DeleteLockedFile",
            Fault::ShareUrlAnyType => "ShareUrlAnyType",
            Fault::DeleteNonEmptyContainer => "DeleteNonEmptyContainer",
            Fault::EnumerateChildrenIgnoresFilter => "EnumerateChildrenIgnoresFilter",
            Fault::AncestorsRootLast => "AncestorsRootLast",
            Fault::EcosystemUrlWithoutToken => "EcosystemUrlWithoutToken",
            Fault::ExpiredTokenAccepted => "ExpiredTokenAccepted",
            Fault::TokenNotBoundToResource => "TokenNotBoundToResource",
            Fault::StaleProofAccepted => "StaleProofAccepted",
            Fault::ProofNotChecked => "ProofNotChecked",
            Fault::ProofOldWithOldKeyAccepted => "ProofOldWithOldKeyAccepted",
            Fault::NoDiscoveryRefetch => "NoDiscoveryRefetch",
            Fault::HostPageTokenInUrl => "HostPageTokenInUrl",
            Fault::HostPageTtlInSeconds => "HostPageTtlInSeconds",
            Fault::HostPageNoPostmessageReady => "HostPageNoPostmessageReady",
            Fault::HostPageWrongTargetOrigin => "HostPageWrongTargetOrigin",
            Fault::HostPageAcceptsAnyOrigin => "HostPageAcceptsAnyOrigin",
            Fault::HostPageIgnoresClose => "HostPageIgnoresClose",
        }
    }

    fn bit(self) -> u64 {
        let index = Fault::ALL.iter().position(|f| *f == self).unwrap_or(63);
        1u64 << index
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that is not a [`Fault`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFault(s.to_owned()))
    }
}

/// The faults a host runs with. Empty by default, and always empty without the `faults` feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultSet {
    #[cfg_attr(not(feature = "faults"), allow(dead_code))]
    bits: u64,
}

impl FaultSet {
    /// No faults: the correct host.
    pub const fn none() -> Self {
        Self { bits: 0 }
    }

    /// Whether `fault` is switched on. Always false without the `faults` feature.
    #[inline]
    pub fn has(&self, fault: Fault) -> bool {
        #[cfg(feature = "faults")]
        {
            self.bits & fault.bit() != 0
        }
        #[cfg(not(feature = "faults"))]
        {
            let _ = fault;
            false
        }
    }

    /// True when no fault is on.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The faults that are on.
    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        Fault::ALL.iter().copied().filter(|f| self.bits & f.bit() != 0)
    }

    /// A set with these faults on.
    #[cfg(feature = "faults")]
    pub fn of(faults: impl IntoIterator<Item = Fault>) -> Self {
        let mut set = Self::none();
        for fault in faults {
            set.bits |= fault.bit();
        }
        set
    }

    /// This set plus `fault`.
    #[cfg(feature = "faults")]
    pub fn with(mut self, fault: Fault) -> Self {
        self.bits |= fault.bit();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        assert!(Fault::ALL.len() < 64);
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>(), Ok(*fault));
        }
        let mut names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
        assert!("NoSuchFault".parse::<Fault>().is_err());
    }

    #[cfg(feature = "faults")]
    #[test]
    fn set_membership() {
        let set = FaultSet::of([Fault::LockNeverExpires, Fault::DeleteLockedFile]);
        assert!(set.has(Fault::LockNeverExpires));
        assert!(set.has(Fault::DeleteLockedFile));
        assert!(!set.has(Fault::NonAtomicLock));
        assert_eq!(set.iter().count(), 2);
        assert!(FaultSet::none().is_empty());
    }
}
