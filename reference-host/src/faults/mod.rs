//! Named, single-rule departures from the WOPI docs, used to prove that suite cases catch real bugs.
//!
//! Each [`Fault`] breaks exactly one rule in a way real hosts have broken it (see
//! `../shared/notes/ecosystem.md` §3 for the catalogue). A host starts with a [`FaultSet`] in
//! [`crate::Config::faults`]; the code checks `state.faults.has(Fault::X)` at the one place the rule is applied:
//!
//! * [`layer`]: faults that change only what a correct handler answered (a status, a header, a body field), as a
//!   rewrite keyed by the operation the catalogue resolved; the handlers never see them.
//! * [`deviations`]: faults that change a handler's logic, read by the handler through one value; a handler with a
//!   single such fault checks it once, by name.
//! * [`proof`]: proof verification as a host with a verification fault does it.
//! * The lock and store faults are applied by [`crate::locks`] and the store backends.
//!
//! Without the `faults` cargo feature a [`FaultSet`] cannot be built with anything in it and [`FaultSet::has`] is a
//! constant `false`, so every departure is compiled out of normal builds.

pub mod deviations;
pub mod layer;
pub mod proof;

use std::fmt;
use std::str::FromStr;

/// Declares [`Fault`] with its variants, [`Fault::ALL`] and [`Fault::name`] from one list, so the three cannot drift.
macro_rules! faults {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// One deliberate bug. The doc comment names the rule that it breaks and the page that states it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Fault {
            $($(#[$doc])* $name,)*
        }

        impl Fault {
            /// Every fault, in declaration order.
            pub const ALL: &'static [Fault] = &[$(Fault::$name,)*];

            /// The fault's name as written on the command line (the variant name).
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$name => stringify!($name),)*
                }
            }
        }
    };
}

faults! {
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
    /// Expired access tokens are accepted (the expiry is never compared). Breaks CheckFileInfo.rst, "User
    /// permissions properties": the host must respond "with a 401 or 404 if the access token is invalid or
    /// expired".
    ExpiredTokenAccepted,
    /// A token for one file opens any file. Breaks concepts.rst, "Access token": "Access tokens must be scoped to a
    /// single user and resource combination".
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

    // --- Access tokens, continued (rest/concepts.rst "Access token"; rest/files/CheckFileInfo.rst) ---
    /// A token that does not verify is not refused: the request runs as the default user (an authentication
    /// fallback left on). Breaks CheckFileInfo.rst, "User permissions properties": "WOPI requires the host to respond
    /// to any WOPI request ... with a 401 or 404 if the access token is invalid"; every operation page lists
    /// ":code 401: Invalid access token". Expired tokens are still refused.
    InvalidTokenAccepted,
    // --- Locks, continued (rest/concepts.rst "Lock"; rest/files/Lock.rst, Unlock.rst, GetLock.rst) ---
    /// Locks lapse after 5 minutes (a cache TTL used as the lock store) instead of 30. Breaks concepts.rst, Lock:
    /// locks "Expire after 30 minutes unless refreshed".
    LockExpiresEarly,
    /// Lock with the current lock ID answers 200 but leaves the expiry where it was. Breaks Lock.rst: "the host
    /// should treat the request as if it is a RefreshLock request. That is, the host should refresh the lock timer".
    RelockDoesNotExtend,
    /// Unlock with the current ID answers 200 but the lock stays (stored by one key, removed by another). Breaks
    /// Unlock.rst: "The Unlock operation releases the lock on a file."
    UnlockKeepsLock,
    /// Lock, Unlock and RefreshLock with an empty `X-WOPI-Lock` answer 200 and do nothing. Breaks Lock.rst and
    /// Unlock.rst: ":code 400: X-WOPI-Lock was not provided or was empty".
    EmptyLockIdAccepted,
    /// A successful Lock echoes the lock ID in `X-WOPI-Lock`. Breaks `_fragments/headers/X-WOPI-Lock.rst` (response
    /// header of Lock.rst): it "should not be included when responding to the request with 200".
    LockHeaderOnSuccess,
    /// GetLock on an unlocked file answers 409 (with an empty `X-WOPI-Lock`). Breaks GetLock.rst: "If the file is
    /// currently not locked, the host must return a 200 and include an X-WOPI-Lock response header set to the empty
    /// string."
    GetLockUnlockedConflicts,
    /// An `X-WOPI-Lock` header whose value is the empty string is dropped from responses (as some HTTP frameworks
    /// do), on GetLock's 200 and on every 409 for an unlocked file. Breaks GetLock.rst (header "set to the empty
    /// string") and the 409 rule of every lock page ("X-WOPI-Lock ... must always be included" on 409).
    EmptyLockHeaderDropped,
    // --- GetFile / PutFile, continued (rest/files/GetFile.rst, PutFile.rst) ---
    /// GetFile serves a per-file read cache that PutFile never invalidates: after a write it returns the bytes of
    /// the first read. Breaks GetFile.rst: "The response body must be the full binary contents of the file."
    StaleGetFileCache,
    /// PutFile on an unlocked file checks the size of the request body instead of the stored file, so saving
    /// content into an empty file answers 409. Breaks PutFile.rst: "the host must check the current size of the
    /// file. If it is 0 bytes, the PutFile request should be considered valid and should proceed."
    PutUnlockedEmptyRejected,
    /// PutFile writes the new bytes but the file's metadata keeps the old size, so CheckFileInfo reports a stale
    /// `Size`. Breaks CheckFileInfo.rst, Size: "The size of the file in bytes".
    SizeNotUpdated,
    /// Lock and Unlock bump the file version. Breaks Lock.rst / Unlock.rst, response header X-WOPI-ItemVersion:
    /// "Its value should be the same as Version value in CheckFileInfo" (the file did not change).
    LockBumpsVersion,
    // --- CheckFileInfo, continued (rest/files/CheckFileInfo.rst) ---
    /// CheckFileInfo leaves out `OwnerId`. Breaks CheckFileInfo.rst: "The following properties must be present in
    /// all CheckFileInfo responses: BaseFileName, OwnerId, Size, UserId, Version".
    CfiRequiredPropertyMissing,
    /// `BaseFileName` carries the container path (`root/a.docx`). Breaks CheckFileInfo.rst, BaseFileName: "The
    /// string name of the file, including extension, without a path."
    BaseFileNameWithPath,
    /// Boolean properties are sent as the strings `"true"` / `"false"`. Breaks CheckFileInfo.rst: each is "A
    /// **Boolean** value".
    BooleansAsStrings,
    /// `HostViewUrl`, `HostEditUrl`, `CloseUrl` and `BreadcrumbBrandUrl` are relative (`/host/...`). Breaks
    /// CheckFileInfo.rst: each is "A URI" the client navigates to, which must be absolute to be usable.
    RelativeHostUrls,
    /// `FileExtension` without the leading dot (`docx`). Breaks CheckFileInfo.rst, FileExtension: "This value must
    /// begin with a `.`".
    FileExtensionWithoutDot,
    /// `LastModifiedTime` in SQL datetime format (`2009-06-15 13:45:30`). Breaks CheckFileInfo.rst,
    /// LastModifiedTime: "must be formatted in ISO 8601 round-trip format".
    LastModifiedTimeNotIso8601,
    /// `SHA256` is the hex digest. Breaks CheckFileInfo.rst, SHA256: "as a Base64-encoded string".
    Sha256AsHex,
    /// `UserId` is a new random value on every CheckFileInfo. Breaks CheckFileInfo.rst, "Requirements for user
    /// identity properties": "Consistent over time".
    UserIdUnstable,
    /// `UserId` and `OwnerId` are Windows account names (`WOPI\wopi-user`). Breaks CheckFileInfo.rst: "Hosts should
    /// avoid the following characters in user identity properties: <>"#{}^[]`\/".
    UserIdReservedChars,
    /// `SupportsUpdate` is false while `UserCanWrite` is true. Breaks CheckFileInfo.rst: UserCanWrite true "tells
    /// the WOPI client that it can call PutFile on behalf of the user", an operation of SupportsUpdate.
    WriteWithoutSupportsUpdate,
    /// `SupportsLocks` is false while `UserCanWrite` is true. Breaks CheckFileInfo.rst: editing needs the lock
    /// operations of SupportsLocks ("WOPI clients will assume that all of the operations ... are supported" only
    /// when the property is true).
    WriteWithoutLocks,
    /// `ReadOnly` is true for a user who can write. Breaks CheckFileInfo.rst: ReadOnly "indicates that, for this
    /// user, the file cannot be changed", contradicting UserCanWrite.
    ReadOnlyAndWritable,
    /// `SupportsDeleteFile` is false while `SupportsContainers` is true. Breaks CheckFileInfo.rst,
    /// SupportsContainers: "WOPI hosts should explicitly return true for both properties".
    ContainersWithoutDeleteFile,
    /// `WorkflowUrl` is sent without `WorkflowType` (`--configuration workflow`). Breaks CheckFileInfo.rst,
    /// WorkflowType: "This property must always be specified if WorkflowUrl or WorkflowPostMessage are provided."
    WorkflowUrlWithoutType,
    /// An anonymous session's CheckFileInfo (`--configuration anonymous`) leaves out `OwnerId` along with the user's
    /// name. Breaks CheckFileInfo.rst, IsAnonymousUser: hosts "can choose to omit the UserId property, but must
    /// still set the OwnerId property."
    AnonymousWithoutOwnerId,
    /// `SupportsGetLock` is true but GetLock answers 501. Breaks CheckFileInfo.rst: "a WOPI host must implement all
    /// operations represented by that capability property if they set the property to true."
    CapabilityNotImplemented,
    /// `SupportsLocks` is true but RefreshLock answers 501 (Lock and Unlock work). Breaks CheckFileInfo.rst: "a WOPI
    /// host must implement all operations represented by that capability property", and SupportsLocks covers
    /// Lock, Unlock, RefreshLock and UnlockAndRelock.
    RefreshLockNotImplemented,
    // --- AddActivities (CSPP Plus; ../shared/notes/cspp-plus.md §7.1) ---
    /// CheckFileInfo declares `SupportsAddActivities` but AddActivities answers 501. Breaks CheckFileInfo.rst: "a WOPI
    /// host must implement all operations represented by that capability property if they set the property to true."
    AddActivitiesNotImplemented,
    /// Every activity is answered Status 0 (Success), an unknown type included (must be 3, UnknownType).
    AddActivitiesUnknownTypeSucceeds,
    /// The activity ids are echoed lower-cased (must be the request's ids byte for byte).
    AddActivitiesIdCaseFolded,
    // --- Incremental file transfer (CSPP Plus; ../shared/notes/cspp-plus.md §2.5, §2.6, §5; applied by
    // crate::store::chunked and the GetChunkedFile/PutChunkedFile handlers) ---
    /// PutChunkedFile writes whatever sequence number it is given. Breaks plus: put-chunked-file ("412: the
    /// sequence number doesn't match"), so a client that read an older state overwrites a newer one.
    StaleSequenceNumberAccepted,
    /// A PutFile leaves the alternate streams in place. Breaks plus: file-content-data-model: a content change
    /// other than PutChunkedFile deletes every alternate stream.
    AlternateStreamsKeptAfterPutFile,
    /// GetChunkedFile writes every chunk ID with its two 64-bit halves swapped (the byte order the validator's
    /// SpookyHash comment warns other Microsoft code uses). Breaks plus: chunk-streams: a ChunkId is the SpookyHash
    /// of the chunk's bytes.
    ChunkIdsByteSwapped,
    /// PutChunkedFile commits the chunks it received before the stream was cut off (no EndFrame). Breaks plus:
    /// content-sequence: a write is transactional, so a cut-off PutChunkedFile leaves the file as it was.
    PutChunkedFileNotAtomic,
    /// PutChunkedFile ignores the WOPI lock (and coauth locks). Breaks plus: put-chunked-file: 409 when the client's
    /// lock does not match the lock on the file.
    PutChunkedFileIgnoresLock,
    // --- Coauth locks (CSPP Plus; ../shared/notes/cspp-plus.md §2.1–2.4, §6; applied by crate::coauth) ---
    /// WOPI Lock (and PutFile) ignore live coauth locks. Breaks D:coauthoring/locks-about: "A WOPI lock excludes
    /// every other kind" (note §6.1: Lock while coauth rows exist is a 409 without X-WOPI-Lock).
    WopiLockIgnoresCoauth,
    /// GetCoauthLock ignores a WOPI lock held on the file. Breaks D:get-coauth-lock (note §2.1 rule 4: 409).
    CoauthIgnoresWopiLock,
    /// Writers and WOPI Lock judge coauth rows by presence, not expiry, so an expired row still holds the file.
    /// Breaks note §6.4: "Expired rows never grant write access" (D:get-coauth-lock: the lock expires).
    ExpiredCoauthRowStillHolds,
    /// The coauth table version is the number of rows, so a retyped row, new metadata or a swapped row keeps it.
    /// Breaks D:get-coauth-table (note §6.4: the version changes whenever a row is added, removed or changed).
    CoauthTableVersionIsRowCount,
    /// RefreshCoauthLock of an id with no (unexpired) row answers 200. Breaks D:refresh-coauth-lock (note §2.2: 409).
    RefreshCoauthUnknownSucceeds,
    // --- Proof keys, continued (online/scenarios/proofkeys.rst; applied by crate::proof) ---
    /// Only `X-WOPI-Proof` with the current key is tried. Breaks proofkeys.rst: "you have to check three
    /// combinations of proof key values", so requests during a key rotation are refused.
    ProofOnlyCurrentKey,
    /// The signed URL is rebuilt without its query string. Breaks proofkeys.rst: the proof covers "The full URL of
    /// the WOPI request, including any query string parameters", so every genuine request is refused.
    ProofWithoutQuery,
    /// An `X-WOPI-ProofOld` that is not a well-formed signature fails the request even when `X-WOPI-Proof`
    /// verifies with the current key (the host decodes and checks both headers before trying the combinations).
    /// Breaks proofkeys.rst: "If any one of the values is valid, the request was signed by Office for the web."
    MalformedProofOldRejected,
    // --- PutRelativeFile, continued (rest/files/PutRelativeFile.rst) ---
    /// The response `Url` has no access token. Breaks PutRelativeFile.rst, Url: "the WOPISrc for the new file with
    /// an access token appended".
    RelativeUrlWithoutToken,
    /// The new file is created empty, ignoring the body. Breaks PutRelativeFile.rst: "The host must use the content
    /// in the POST body to create a new file."
    RelativeBodyIgnored,
    /// `X-WOPI-OverwriteRelativeTarget: true` is ignored: a taken name still answers 409. Breaks
    /// PutRelativeFile.rst: the header "specifies whether the host must overwrite the file name if it exists."
    OverwriteFlagIgnored,
    /// An illegal exact target is silently repaired (the path dropped) instead of refused. Breaks
    /// PutRelativeFile.rst: "If the specified name is illegal, the host must respond with a 400."
    RelativeAcceptsPath,
    /// Both `X-WOPI-SuggestedTarget` and `X-WOPI-RelativeTarget` are accepted (the relative one wins). Breaks
    /// PutRelativeFile.rst: they "are mutually exclusive. If both headers are present the host should respond with a
    /// 400 or 501."
    ConflictingTargetsAccepted,
    /// PutRelativeFile on a locked source answers 409, as if it were PutFile. Breaks PutRelativeFile.rst: "The
    /// PutRelativeFile operation may be called on a file that is not locked, so the X-WOPI-Lock request header is
    /// not included in this operation."
    RelativeNeedsSourceLock,
    /// A host configured without PutRelativeFile (`--configuration no-relative`, `UserCanNotWriteRelative: true`)
    /// still creates the file and answers 200. Breaks PutRelativeFile.rst: such a host must "Return a 501 to all
    /// PutRelativeFile requests."
    RelativeWritesWhileDeclaredUnsupported,
    // --- RenameFile / DeleteFile, continued (rest/files/RenameFile.rst, DeleteFile.rst) ---
    /// RenameFile of an unlocked file with a (stale) `X-WOPI-Lock` answers 409. Breaks RenameFile.rst: "If the file
    /// is currently unlocked, the host should respond with a 200 and proceed with the rename."
    RenameChecksLockWhenUnlocked,
    /// RenameFile onto a name another file has replaces that file. Breaks RenameFile.rst: on a conflict "the host
    /// should try to generate a different name" or answer 400, never overwrite.
    RenameOverwritesExisting,
    /// A successful RenameFile carries `X-WOPI-InvalidFileNameError`. Breaks RenameFile.rst: the header "should only
    /// be included when the response code is 400."
    InvalidNameErrorOnSuccess,
    /// POST operations on a file that does not exist (deleted) answer 500. Breaks RenameFile.rst and DeleteFile.rst:
    /// ":code 404: Resource not found/user unauthorized".
    DeletedFileAnswers500,
    /// DeleteFile answers 200 and deletes nothing. Breaks DeleteFile.rst: "The DeleteFile operation deletes a file
    /// from a host."
    DeleteFileNoop,
    // --- Containers and ecosystem, continued (rest/containers/*.rst, rest/ecosystem/*.rst) ---
    /// EnumerateAncestors lists container URLs without access tokens. Breaks `_fragments/responses/
    /// EnumerateAncestors.rst`, Url: "A URI to the container, including a valid access token."
    AncestorUrlWithoutToken,
    /// EnumerateChildren leaves `ChildFiles` out. Breaks EnumerateChildren.rst: "The following properties must be
    /// present in all EnumerateChildren responses: ChildContainers ... ChildFiles".
    ChildFilesMissing,
    /// `X-WOPI-FileExtensionFilterList` is matched case-sensitively. Breaks EnumerateChildren.rst: "based on a
    /// case-insensitive match".
    ExtensionFilterCaseSensitive,
    /// DeleteContainer answers 200 and deletes nothing. Breaks DeleteContainer.rst: "The DeleteContainer operation
    /// deletes a container."
    DeleteContainerNoop,
    /// CreateChildContainer with an exact name that is taken creates a second container of that name. Breaks
    /// CreateChildContainer.rst: "If a container with the specified name already exists, the host must respond with
    /// a 409."
    DuplicateContainerAllowed,
    /// CreateChildContainer changes an exact name (non-ASCII characters replaced by `_`). Breaks
    /// CreateChildContainer.rst, X-WOPI-RelativeTarget: "The host must not modify the name to fulfill the request."
    ContainerNameModified,
    /// CreateChildFile in suggested mode answers 409 when the name is taken. Breaks CreateChildFile.rst,
    /// X-WOPI-SuggestedTarget: "The response to a request including this header must never result in a 400 or 409."
    SuggestedChildFileConflicts,
    /// EnumerateAncestors always sends `X-WOPI-EnumerationIncomplete: false`. Breaks EnumerateAncestors.rst: the
    /// header, if set, "must be the string `true`".
    EnumerationIncompleteNotTrue,
    /// RenameContainer stores `X-WOPI-RequestedName` without UTF-7 decoding. Breaks RenameContainer.rst: the header
    /// is "A UTF-7 encoded string that is a container name".
    RenameContainerNotDecoded,
    /// GetRootContainer answers `ContainerInfo` only. Breaks GetRootContainer.rst: "The following properties must be
    /// present in all GetRootContainer responses: ContainerPointer".
    RootContainerPointerMissing,
    // --- GetShareUrl, continued (rest/files/GetShareUrl.rst) ---
    /// GetShareUrl answers a path (`/host/{id}?action=view`) instead of a URL. Breaks GetShareUrl.rst, ShareUrl: "A
    /// URI that points to a webpage that allows the user to access the file."
    ShareUrlRelative,
    // --- Host page, continued (online/hostpage.rst, online/scenarios/postmessage.rst; applied by crate::hostpage,
    // PostMessageOrigin by the CheckFileInfo builder) ---
    /// The action URL is filled with every placeholder but `WOPI_SOURCE`, which is dropped like an optional one, so
    /// the frame is opened without a WOPISrc. Breaks discovery.rst, WOPI_SOURCE: "This placeholder **must** be
    /// replaced by a WopiSrc value. ... Unlike other placeholders, replacing this placeholder is required."
    HostPageActionUrlWithoutWopiSrc,
    /// The iframe keeps `width: 100%; height: 100%` but loses its absolute positioning, so its height resolves
    /// against the auto-height body and the frame collapses to the default 150 px. Breaks hostpage.rst, "Applying
    /// appropriate CSS styles": "the host page must apply some specific CSS styles to the Office for the web iframe".
    HostPageFrameNotFullWindow,
    /// The page has no `viewport` meta tag. Breaks hostpage.rst: "It must declare a viewport meta tag to avoid
    /// visual and functional problems in mobile browsers."
    HostPageNoViewportMeta,
    /// The page is served without `Cache-Control`, `Expires` and `Pragma`. Breaks hostpage.rst, "Host page
    /// headers": "at the very least, the following headers should be set on the host page" (a SHOULD).
    HostPageNoCacheHeaders,
    /// CheckFileInfo's `PostMessageOrigin` is the host's scheme and host name without its port. Breaks
    /// postmessage.rst: "you must set the PostMessageOrigin property in your WOPI CheckFileInfo response to the URL
    /// of your host page. If you do not do this, Office for the web will ignore any messages you send".
    HostPagePostMessageOriginWithoutPort,
    /// The page declares `FileSharingPostMessage` but has no handler for `UI_Sharing`. Breaks postmessage.rst,
    /// UI_Sharing: "The host should use this message to trigger any custom sharing UI" (Office shows no sharing UI
    /// of its own once the property is set, so the button does nothing).
    HostPageIgnoresSharing,
    /// The page declares `FileVersionPostMessage` but has no handler for `UI_FileVersions`. Breaks postmessage.rst,
    /// UI_FileVersions: "The host should use this message to trigger any custom file version history UI."
    HostPageIgnoresFileVersions,
    /// The page ignores `File_Rename`, so it keeps showing the old name. Breaks postmessage.rst, File_Rename: "The
    /// host can use this message to optionally update the UI, such as the title of the page" (with SupportsRename
    /// declared, the renamed file is shown under a stale name).
    HostPageIgnoresRename,
    // --- Coverage gaps ---
    /// The proof's age is compared in whole minutes (truncated), so a stamp up to 20 min 59 s old passes. Breaks
    /// online/scenarios/proofkeys.rst: "Ensure that the X-WOPI-TimeStamp header is no more than 20 minutes old."
    ProofAgeInWholeMinutes,
    /// Proofs older than five minutes are refused (the clock-skew window of other signature schemes, copied over),
    /// so requests the docs accept fail with 500. Breaks online/scenarios/proofkeys.rst: the limit is "no more than
    /// 20 minutes old", and Office may send a request signed minutes earlier (queued saves, retries).
    ProofAgeLimitFiveMinutes,
    /// CheckFileInfo writes the optional strings it has no value for (`BreadcrumbFolderName`, `HostNotes`) as `null`
    /// instead of omitting them. Breaks rest/_fragments/param_types.rst, included by CheckFileInfo.rst: "No
    /// properties should be set to null. If you do not wish to set a property, simply omit it" (a SHOULD).
    CfiUnsetPropertiesNull,
    /// Unlock, RefreshLock, UnlockAndRelock and PutFile answer 200 with `X-WOPI-Lock` set to the file's lock after
    /// the operation (empty once unlocked), as a shared "report the lock" response helper would. Breaks
    /// `_fragments/headers/X-WOPI-Lock.rst` (response header of PutFile.rst, Unlock.rst, RefreshLock.rst,
    /// UnlockAndRelock.rst): it "should not be included when responding to the request with 200".
    LockHeaderOnOtherSuccesses,
    /// GetShareUrl answers 400 for an unknown or missing `X-WOPI-UrlType` (the header's parse failure reported as a
    /// bad request). Breaks GetShareUrl.rst: "If the X-WOPI-UrlType header is not present or contains a value that
    /// is invalid or not supported by the host, the host should respond with a 501."
    ShareUrlUnknownTypeBadRequest,
    /// Every `X-WOPI-Lock` the host answers (GetLock, lock-mismatch 409s) is folded to lower case, as a response
    /// layer that normalises header values would; the stored ID and its comparisons stay exact. Breaks
    /// rest/concepts.rst (Lock): "Hosts must treat it as an opaque string", so the ID answered must be the one
    /// stored, byte for byte; Office compares the answer with the ID it sent.
    LockHeaderCaseFolded,
    /// PutRelativeFile in suggested mode reads `X-WOPI-OverwriteRelativeTarget` and, when it is true, stores the
    /// suggested name as an exact target, replacing a file of that name. Breaks PutRelativeFile.rst: the header "is
    /// only valid if the X-WOPI-RelativeTarget is also included on the request. It must be ignored in all other
    /// cases."
    SuggestedHonoursOverwrite,
    // --- Several instances on one database (reference host on PostgreSQL; concepts.rst, "Lock") ---
    /// Each instance keeps locks in its own process memory (a `Map`), so a lock taken through one instance is
    /// unknown to the others. Breaks Lock.rst: a locked file must answer 409 to any other lock ID, whichever
    /// machine of the host receives the request.
    LocksInProcessMemory,
    /// The lock check and the lock write (and PutFile's check and write) run in separate transactions, so racing
    /// requests on different instances can all pass the check. Breaks Lock.rst's exclusivity ("only the client
    /// holding the lock may write") under concurrency.
    LockCheckSeparateTransaction,
    /// Each instance caches CheckFileInfo records and learns only of its own writes, so after a PutFile through
    /// another instance it reports a stale `Version` and `Size`. Breaks CheckFileInfo.rst, Version: "the version
    /// must change when the file changes" as seen by every client.
    CheckFileInfoCachePerInstance,
    /// Each instance measures lock expiry by its own clock, and the clocks are minutes apart, so a lock expires
    /// early on some instances. Breaks Lock.rst: "locks must expire after 30 minutes unless refreshed".
    ExpiryByInstanceClock,
    // --- Faults that break the run rather than one rule (issue 11) ---
    /// The host process exits (after logging the request) on a PutRelativeFile whose `X-WOPI-SuggestedTarget` or
    /// `X-WOPI-RelativeTarget` holds a UTF-7 shift sequence (`+` base64 `-`, as in `+AGQ-`), as a real host crashed
    /// on one in its name decoder. Breaks PutRelativeFile.rst: both headers are "UTF-7 encoded" names the host must
    /// decode, and every request must get an answer. Ends the process, so it runs only in a host started as a
    /// process of its own (see [`Fault::in_process_hazard`]).
    ExitOnUtf7RelativeName,
    // --- Host page, issue 16 (online/hostpage.rst, online/scenarios/postmessage.rst; applied by crate::hostpage) ---
    /// The page posts every message to the frame with `targetOrigin` `"*"`, so they reach whatever document the
    /// frame holds. Breaks postmessage.rst: messages are posted to the WOPI client frame's origin (the samples pass
    /// the client's origin, never `*`); a frame navigated to another origin would read the host's messages.
    HostPagePostMessageStarTarget,
    /// The page's form loads the frame with `method="get"`: the token travels in the URL and the browser replaces
    /// the action URL's query (WOPISrc included) with the form fields, so the frame cannot open the file. Breaks
    /// hostpage.rst: "It must use a form element and POST the access token and access_token_ttl values to the
    /// iframe". Every browser case that needs an open WOPI session must then fail its precondition, not pass.
    HostPageFormUsesGet,
    // --- Client profiles, issue 15 (shared/notes/clients.md §8; caught by suites/profiles/<client>.xml) ---
    /// PutFile ignores `X-COOL-WOPI-Timestamp` (and `X-LOOL-WOPI-Timestamp`): a save over a file changed in storage
    /// overwrites it. Breaks Collabora's wsd/reference.md: a PutFile whose timestamp differs from the file's
    /// `LastModifiedTime` is answered 409 with `{"COOLStatusCode":1010}` (nextcloud/richdocuments#5832).
    CoolTimestampIgnored,
    /// PutFile reads only `X-COOL-WOPI-Timestamp`, not the pre-2021 `X-LOOL-WOPI-Timestamp` that a legacy Collabora
    /// server (`is_legacy_server`) and ONLYOFFICE send. Breaks the same rule for those clients (ecosystem.md §5:
    /// "hosts should read both").
    LoolTimestampIgnored,
    /// The 409 for a stale `X-COOL-WOPI-Timestamp` has a plain-text body without `COOLStatusCode`, so Collabora
    /// reports a generic failure instead of its conflict dialog (CO-WS; nextcloud/richdocuments#5107).
    CoolConflictWithoutStatusCode,
    /// PutFile's 200 has no `LastModifiedTime` in its JSON body, so Collabora's next save carries a stale
    /// timestamp (CO-WS, wsd/reference.md; CollaboraOnline/online#5680).
    PutFileWithoutLastModifiedTime,
    /// CheckFileInfo leaves out `SupportsLocks` when the request comes from Collabora (`X-COOL-WOPI-ServerId`), a
    /// host that special-cases the client: Collabora then edits without locks and its PutFile meets the lock rules
    /// of a host that has them (CO-WS: locks only with `SupportsLocks`).
    SupportsLocksDroppedForCollabora,
    /// The host page posts its messages to the frame as objects, not JSON text. Office takes either
    /// (postmessage.rst: "A string (or JSON object)"), but ONLYOFFICE's frame ignores anything that is not a string
    /// (clients.md §6.2, `OO-web` `editor-wopi.ejs`), so its `Host_PostmessageReady`, `Blur_Focus` and `Grab_Focus`
    /// never arrive.
    HostPagePostsObjects,
    /// PutFile refuses (400) a request carrying `X-WOPI-Editors`, as a host that rejects headers it does not know.
    /// ONLYOFFICE sends it on every save with the `X-LOOL-WOPI-*` flags (clients.md §8.2 O8, `OO-srv` `putFile`;
    /// api.onlyoffice.com/editors/wopi/restapi/putfile), so none of its saves lands; rest/files/PutFile.rst has no
    /// rule that refuses unknown headers.
    PutFileRejectsEditorsHeader,
}

impl Fault {
    /// Why this fault must not run in a host embedded in another program (the harness, a test), or `None` when it
    /// may. The one place that says which faults end the host's process: the mutation matrix leaves these out of
    /// its in-process runs and [`crate::app`] refuses them unless [`crate::Config::own_process`] is set.
    pub fn in_process_hazard(self) -> Option<&'static str> {
        match self {
            Fault::ExitOnUtf7RelativeName => Some(
                "it ends the host's process (std::process::exit), which in-process would be the harness or test \
                 itself; start the host as a process of its own (`wopi-conformance host --fault \
                 ExitOnUtf7RelativeName`) and run against it with -w/-t (proven by harness/tests/hostile.rs)",
            ),
            _ => None,
        }
    }

    /// The client profile whose suite (`suites/profiles/<profile>.xml`, or for a host-page fault that client's
    /// frame) catches this fault, for the faults of a client's own rules; the built-in suites do not send that
    /// client's headers (proven by `harness/tests/profiles.rs`; the matrix runs each profile suite with its client).
    pub fn client_profile(self) -> Option<&'static str> {
        match self {
            Fault::CoolTimestampIgnored
            | Fault::LoolTimestampIgnored
            | Fault::CoolConflictWithoutStatusCode
            | Fault::PutFileWithoutLastModifiedTime
            | Fault::SupportsLocksDroppedForCollabora => Some("collabora"),
            Fault::HostPagePostsObjects | Fault::PutFileRejectsEditorsHeader => Some("onlyoffice"),
            _ => None,
        }
    }

    /// Why the mutation matrix cannot show this fault, or `None` when it can. The matrix runs the profile suites
    /// with their client, but its browser cases only with Office's frame.
    pub fn outside_matrix(self) -> Option<&'static str> {
        match self {
            Fault::HostPagePostsObjects => Some(
                "only ONLYOFFICE's frame ignores messages that are not strings, and the matrix's browser cases run with \
                 Office's; proven by harness/tests/browser.rs (each_client_profile_frame_against_the_reference_host_page)",
            ),
            _ => None,
        }
    }

    /// The faults of the mutation matrix: [`Fault::in_process`] without those it cannot show
    /// ([`Fault::outside_matrix`]). The client-profile faults take part: the matrix runs each profile suite with its
    /// client.
    pub fn in_matrix() -> impl Iterator<Item = Fault> {
        Fault::in_process().filter(|f| f.outside_matrix().is_none())
    }

    /// Every fault that may run in an embedded host ([`Fault::ALL`] without those with an
    /// [`Fault::in_process_hazard`]).
    pub fn in_process() -> impl Iterator<Item = Fault> {
        Fault::ALL.iter().copied().filter(|f| f.in_process_hazard().is_none())
    }
}

impl Fault {
    /// The fault's bit in a [`FaultSet`]: its declaration index (fewer than 128 faults, checked by a test).
    /// The word of a [`FaultSet`] and the bit in it.
    fn bit(self) -> (usize, u128) {
        let n = self as usize;
        (n / 128, 1u128 << (n % 128))
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
    bits: [u128; FAULT_WORDS],
}

/// Words of a [`FaultSet`]: room for `128 * FAULT_WORDS` faults (a test checks that they fit).
const FAULT_WORDS: usize = 2;

impl FaultSet {
    /// No faults: the correct host.
    pub const fn none() -> Self {
        Self { bits: [0; FAULT_WORDS] }
    }

    /// Whether `fault` is switched on. Always false without the `faults` feature.
    #[inline]
    pub fn has(&self, fault: Fault) -> bool {
        #[cfg(feature = "faults")]
        {
            self.contains(fault)
        }
        #[cfg(not(feature = "faults"))]
        {
            let _ = fault;
            false
        }
    }

    /// True when no fault is on.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|w| *w == 0)
    }

    fn contains(&self, fault: Fault) -> bool {
        let (word, bit) = fault.bit();
        self.bits[word] & bit != 0
    }

    #[cfg(feature = "faults")]
    fn insert(&mut self, fault: Fault) {
        let (word, bit) = fault.bit();
        self.bits[word] |= bit;
    }

    /// The faults that are on.
    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        Fault::ALL.iter().copied().filter(|f| self.contains(*f))
    }

    /// A set with these faults on.
    #[cfg(feature = "faults")]
    pub fn of(faults: impl IntoIterator<Item = Fault>) -> Self {
        let mut set = Self::none();
        for fault in faults {
            set.insert(fault);
        }
        set
    }

    /// This set plus `fault`.
    #[cfg(feature = "faults")]
    pub fn with(mut self, fault: Fault) -> Self {
        self.insert(fault);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        assert!(Fault::ALL.len() <= 128 * FAULT_WORDS);
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>(), Ok(*fault));
        }
        let mut names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
        assert!("NoSuchFault".parse::<Fault>().is_err());
    }

    #[test]
    fn only_process_ending_faults_are_kept_out_of_process_embedding() {
        let hazards: Vec<_> = Fault::ALL.iter().filter(|f| f.in_process_hazard().is_some()).collect();
        assert_eq!(hazards, [&Fault::ExitOnUtf7RelativeName]);
        assert_eq!(Fault::in_process().count(), Fault::ALL.len() - 1);
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
        // Past the first 128 faults a fault has its own bit, not the one of the fault 128 places earlier.
        let last = Fault::ALL[Fault::ALL.len() - 1];
        let only_last = FaultSet::of([last]);
        assert_eq!(only_last.iter().collect::<Vec<_>>(), [last]);
        assert!(!only_last.has(Fault::ALL[(Fault::ALL.len() - 1) % 128]) || Fault::ALL.len() <= 128);
    }
}
