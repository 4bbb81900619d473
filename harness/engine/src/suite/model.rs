//! The suite model: what a `<WopiValidation>` file says, typed.
//!
//! Names follow the validator's XML (TestCases.xsd) one to one; where the C# engine and the XSD disagree the
//! engine wins (validator-semantics.md §2.10), and the few places where we deliberately differ say so.

use std::path::PathBuf;

pub use wopi_protocol::cspp::chunking::ChunkingScheme;
pub use wopi_protocol::cspp::message::ChunksToReturn;
pub use wopi_protocol::cspp::properties::Retention;

pub use super::xml::Pos;

/// One loaded suite file.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Short name used in case ids (`core`, `feature`, `ext_<stem>`).
    pub name: String,
    pub path: PathBuf,
    pub resources: Vec<Resource>,
    /// `<PrereqCases>`, in document order.
    pub prereqs: Vec<TestCase>,
    pub groups: Vec<TestGroup>,
}

/// `<Resources><File Id Name FilePath/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    pub name: String,
    pub file_path: String,
}

/// `<TestGroup>`.
#[derive(Debug, Clone)]
pub struct TestGroup {
    pub name: String,
    /// `HasDelay="true"`: the group sleeps (`<Delay>`); excluded unless asked for, as the validator's `-d`.
    pub has_delay: bool,
    /// `<PrereqTests>` names, in evaluation order; each resolves to a [`Suite::prereqs`] entry (checked at load).
    pub prereqs: Vec<String>,
    pub cases: Vec<TestCase>,
    pub pos: Pos,
}

/// The validator's test categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    WopiCore,
    OfficeOnline,
    OfficeNativeClient,
    WopiCoauth,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::WopiCore,
        Category::OfficeOnline,
        Category::OfficeNativeClient,
        Category::WopiCoauth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::WopiCore => "WopiCore",
            Category::OfficeOnline => "OfficeOnline",
            Category::OfficeNativeClient => "OfficeNativeClient",
            Category::WopiCoauth => "WopiCoauth",
        }
    }

    /// Case-insensitive, as the engine's `Enum.Parse(ignoreCase: true)`.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `<TestCase>`, in `<PrereqCases>` or in a group.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    pub category: Category,
    /// The `<Description>`, condensed to one line.
    pub description: String,
    pub documentation_link: Option<String>,
    pub ui_screenshot: Option<String>,
    pub fail_message: Option<String>,
    /// `Document` (FeatureTestCases) or `ResourceId`: the resource the case is about.
    pub resource_id: Option<String>,
    /// Hosted-validator attributes, accepted and kept: upload `resource_id` before the case / delete after.
    pub upload_document_on_setup: bool,
    pub delete_document_on_teardown: bool,
    /// `ext:Exclusive="true"` (on the case or its group): no other case runs at the same time, for cases whose
    /// state is shared beyond their file (per-user data, host-wide settings).
    pub exclusive: bool,
    /// `ext:Profiles="office collabora"` (on the case or its group): the WOPI client profiles the case applies to;
    /// `None` for every profile. With another `--profile` the case is skipped with [`TestCase::not_for_profile`].
    pub profiles: Option<ProfileScope>,
    pub requests: Vec<Step>,
    /// `<CleanupRequests>`: always run, never validated.
    pub cleanup: Vec<Request>,
    pub pos: Pos,
}

/// One entry of `<Requests>`: a validator request or one of our extension steps.
#[derive(Debug, Clone)]
pub enum Step {
    Request(Request),
    /// `<ext:Concurrent>`: requests sent at the same time, checked one by one and on their combined outcome.
    Concurrent(Concurrent),
    /// `<ext:RotateKeys/>`: the mock client rotates its proof keys (next → current → old).
    RotateKeys {
        pos: Pos,
    },
    /// `<ext:AdvanceClock Seconds="n"/>`: the host's clock jumps forward (embedded host only).
    AdvanceClock {
        seconds: u64,
        /// `Purpose="LockExpiry"`: the step only moves a lock towards (or past) its 30-minute expiry, so against a
        /// host whose clock cannot be stepped it may be replaced by a real wait scaled to `--lock-ttl`.
        lock_expiry: bool,
        pos: Pos,
    },
    /// `<ext:PostMessage>`: a browser step against the host page.
    PostMessage(PostMessageStep),
    /// `<ext:LockRace .../>`: N clients race the lock family on the case's file (run by the engine's `race`).
    LockRace {
        config: super::race_config::RaceConfig,
        pos: Pos,
    },
}

impl Step {
    pub fn pos(&self) -> Pos {
        match self {
            Step::Request(r) => r.pos,
            Step::Concurrent(c) => c.pos,
            Step::RotateKeys { pos } | Step::AdvanceClock { pos, .. } => *pos,
            Step::PostMessage(p) => p.pos,
            Step::LockRace { pos, .. } => *pos,
        }
    }
}

/// `<ext:Concurrent Repeat="n">` requests, then `<ext:ExpectStatus>` checks over all answers.
#[derive(Debug, Clone)]
pub struct Concurrent {
    pub requests: Vec<Request>,
    /// Each request is sent this many times (all at once).
    pub repeat: u32,
    pub expect: Vec<CombinedExpectation>,
    pub pos: Pos,
}

/// `<ext:ExpectStatus Code="200" Exactly="1"/>` (or `AtLeast`/`AtMost`): how many answers had that status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CombinedExpectation {
    pub code: u16,
    pub count: CountRule,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountRule {
    Exactly(u32),
    AtLeast(u32),
    AtMost(u32),
}

impl CountRule {
    pub fn holds(self, n: u32) -> bool {
        match self {
            CountRule::Exactly(e) => n == e,
            CountRule::AtLeast(e) => n >= e,
            CountRule::AtMost(e) => n <= e,
        }
    }
}

impl std::fmt::Display for CountRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CountRule::Exactly(n) => write!(f, "exactly {n}"),
            CountRule::AtLeast(n) => write!(f, "at least {n}"),
            CountRule::AtMost(n) => write!(f, "at most {n}"),
        }
    }
}

/// `<ext:PostMessage Check="..." Action="edit" Send="..." ExpectMessage="..." TimeoutSeconds="n"/>`.
#[derive(Debug, Clone)]
pub struct PostMessageStep {
    /// Which browser check runs (the browser module's names); `None` is a plain message exchange.
    pub check: Option<String>,
    /// The discovery action whose host page is opened (`view`, `edit`).
    pub action: String,
    /// A message the frame sends to the host page (`MessageId`), if any.
    pub send: Option<String>,
    /// The `MessageId` the host page must post back.
    pub expect_message: Option<String>,
    pub timeout_seconds: u64,
    pub pos: Pos,
}

/// One WOPI request element with its checks.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: RequestKind,
    /// `OverrideUrl`: a literal URL or `$State:Key`.
    pub override_url: Option<String>,
    /// `None` when the element has no `<Validators>`: then the only check is "status is 200"
    /// (plus Content-Length); `Some` (even empty) drops that implicit check, as the engine does.
    pub validators: Option<Vec<Validator>>,
    pub save_state: Vec<StateSpec>,
    pub mutators: Mutators,
    /// `<ext:Header Name="..." Value="..."/>` children, in order: each adds or replaces (case-insensitively) a
    /// request header; a value `$State:Key` is read from the case's state.
    pub headers: Vec<ExtraHeader>,
    /// `<ext:AccessToken Use="..."/>`: the request carries a token the host hook issues instead of the case's.
    pub token_use: Option<TokenUse>,
    /// `ext:Instance="n"`: send through the host's instance `n` (counted from 0, modulo the instances given with
    /// `--instance`; with one instance every request goes to it).
    pub instance: Option<u16>,
    pub pos: Pos,
}

/// One `<ext:Header>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraHeader {
    pub name: String,
    /// A literal value or `$State:Key`.
    pub value: String,
}

/// Which special token `<ext:AccessToken Use="..."/>` asks the host hook for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// `Use="expired"`: a token for the case's own file whose lifetime is over.
    Expired,
    /// `Use="other-file"`: a valid token, for a different file than the one requested.
    OtherFile,
}

impl std::fmt::Display for TokenUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenUse::Expired => "expired",
            TokenUse::OtherFile => "other-file",
        })
    }
}

/// `X-WOPI-SuggestedTarget` vs `X-WOPI-RelativeTarget` (or both, to test the conflict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutRelativeMode {
    Suggested,
    ExactName,
    Conflicting,
}

/// `X-WOPI-CoauthLockType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoauthLockType {
    Coauth,
    CoauthExclusive,
    None,
}

/// The request elements of TestCases.xsd and what each sends (validator-semantics.md §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestKind {
    CheckFileInfo,
    /// `NewLock` → `X-WOPI-Lock`; `Lock` is read but, as in the engine, not sent.
    GetFile {
        new_lock: Option<String>,
        lock: Option<String>,
    },
    PutFile {
        lock: Option<String>,
        resource_id: String,
    },
    PutRelativeFile {
        name: String,
        resource_id: String,
        mode: Option<PutRelativeMode>,
        overwrite_relative: Option<bool>,
        /// `ext:OverwriteInSuggested="true"` (Suggested mode only): also send `X-WOPI-OverwriteRelativeTarget: True`,
        /// which PutRelativeFile.rst says "must be ignored" in suggested mode.
        overwrite_in_suggested: bool,
    },
    Lock {
        lock: String,
        lock_user_visible: Option<bool>,
    },
    Unlock {
        lock: String,
    },
    RefreshLock {
        lock: String,
    },
    UnlockAndRelock {
        new_lock: String,
        old_lock: String,
    },
    GetLock,
    PutUserInfo {
        body: String,
    },
    AddActivities {
        body: String,
    },
    DeleteFile,
    RenameFile {
        name: String,
        lock: Option<String>,
        coauth_lock_id: Option<String>,
    },
    GetShareUrl {
        url_type: Option<String>,
    },
    GetNewAccessToken {
        wopi_src: Option<String>,
    },
    CheckContainerInfo,
    EnumerateChildren {
        file_extension_filter_list: Option<String>,
    },
    EnumerateAncestors,
    GetEcosystem,
    GetRootContainer {
        wopi_src: Option<String>,
    },
    /// The engine ignores `EcosystemUrl` and sends a GET to the file URL; so do we (the verdicts depend on it).
    CheckEcosystem {
        ecosystem_url: Option<String>,
    },
    CreateChildContainer {
        folder_name: String,
        mode: Option<PutRelativeMode>,
    },
    CreateChildFile {
        name: String,
        mode: Option<PutRelativeMode>,
        overwrite_relative: Option<bool>,
    },
    DeleteContainer,
    RenameContainer {
        name: String,
    },
    GetFromFileUrl,
    PutToFileUrl {
        resource_id: Option<String>,
    },
    GetCoauthLock(CoauthLockRequest),
    RefreshCoauthLock(CoauthLockRequest),
    UnlockCoauthLock {
        coauth_lock_id: String,
    },
    GetCoauthTable {
        version: Option<String>,
        version_state_key: Option<String>,
    },
    GetChunkedFile {
        properties_to_return: Vec<String>,
        filters: Vec<ContentFilter>,
    },
    PutChunkedFile(Box<PutChunkedFile>),
    GetSequenceNumber,
    /// Sleeps; sends nothing.
    Delay {
        seconds: Option<u32>,
    },
}

/// Attributes of GetCoauthLock / RefreshCoauthLock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoauthLockRequest {
    /// `None` for RefreshCoauthLock and for an empty `CoauthLockType` (no header).
    pub lock_type: Option<CoauthLockType>,
    pub coauth_lock_id: String,
    pub expiration_timeout: Option<u32>,
    pub metadata: Option<String>,
    pub metadata_as_body: Option<String>,
}

/// `<ContentFilter>` of GetChunkedFile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFilter {
    pub chunking_scheme: ChunkingScheme,
    pub stream_id: String,
    pub chunks_to_return: ChunksToReturn,
    pub already_existing_content: Option<String>,
    pub already_existing_content_resource_id: Option<String>,
}

/// PutChunkedFile attributes and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutChunkedFile {
    pub sequence_number: Option<String>,
    pub sequence_number_state_key: Option<String>,
    pub lock: Option<String>,
    pub coauth_lock_id: Option<String>,
    pub editors: Option<String>,
    /// `ext:CutTailBytes`: send the body without its last N bytes.
    pub cut_tail_bytes: Option<usize>,
    pub properties: Vec<ContentProperty>,
    pub streams: Vec<ContentStream>,
    pub upload_session_token: Option<String>,
}

/// `<ContentProperty Name Value Retention/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentProperty {
    pub name: String,
    pub value: String,
    pub retention: Retention,
}

/// `<ContentStream>` of PutChunkedFile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentStream {
    pub chunking_scheme: ChunkingScheme,
    pub stream_id: String,
    pub new_content: Option<String>,
    pub last_known_host_content: Option<String>,
    pub new_content_resource_id: Option<String>,
    pub last_known_host_content_resource_id: Option<String>,
}

impl RequestKind {
    /// The element name, used as the request's label.
    pub fn name(&self) -> &'static str {
        match self {
            RequestKind::CheckFileInfo => "CheckFileInfo",
            RequestKind::GetFile { .. } => "GetFile",
            RequestKind::PutFile { .. } => "PutFile",
            RequestKind::PutRelativeFile { .. } => "PutRelativeFile",
            RequestKind::Lock { .. } => "Lock",
            RequestKind::Unlock { .. } => "Unlock",
            RequestKind::RefreshLock { .. } => "RefreshLock",
            RequestKind::UnlockAndRelock { .. } => "UnlockAndRelock",
            RequestKind::GetLock => "GetLock",
            RequestKind::PutUserInfo { .. } => "PutUserInfo",
            RequestKind::AddActivities { .. } => "AddActivities",
            RequestKind::DeleteFile => "DeleteFile",
            RequestKind::RenameFile { .. } => "RenameFile",
            RequestKind::GetShareUrl { .. } => "GetShareUrl",
            RequestKind::GetNewAccessToken { .. } => "GetNewAccessToken",
            RequestKind::CheckContainerInfo => "CheckContainerInfo",
            RequestKind::EnumerateChildren { .. } => "EnumerateChildren",
            RequestKind::EnumerateAncestors => "EnumerateAncestors",
            RequestKind::GetEcosystem => "GetEcosystem",
            RequestKind::GetRootContainer { .. } => "GetRootContainer",
            RequestKind::CheckEcosystem { .. } => "CheckEcosystem",
            RequestKind::CreateChildContainer { .. } => "CreateChildContainer",
            RequestKind::CreateChildFile { .. } => "CreateChildFile",
            RequestKind::DeleteContainer => "DeleteContainer",
            RequestKind::RenameContainer { .. } => "RenameContainer",
            RequestKind::GetFromFileUrl => "GetFromFileUrl",
            RequestKind::PutToFileUrl { .. } => "PutToFileUrl",
            RequestKind::GetCoauthLock(_) => "GetCoauthLock",
            RequestKind::RefreshCoauthLock(_) => "RefreshCoauthLock",
            RequestKind::UnlockCoauthLock { .. } => "UnlockCoauthLock",
            RequestKind::GetCoauthTable { .. } => "GetCoauthTable",
            RequestKind::GetChunkedFile { .. } => "GetChunkedFile",
            RequestKind::PutChunkedFile(_) => "PutChunkedFile",
            RequestKind::GetSequenceNumber => "GetSequenceNumber",
            RequestKind::Delay { .. } => "Delay",
        }
    }
}

/// `<Mutators>`: only the first of each kind counts (engine rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mutators {
    pub access_token: Option<AccessTokenMutator>,
    pub proof_key: Option<ProofKeyMutator>,
}

/// `<AccessToken Mutation="X"/>`: send `X` (or a random GUID) as the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenMutator {
    pub mutation: Option<String>,
}

/// `<ProofKey>`: how the request's proofs are spoiled (§3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofKeyMutator {
    pub mutate_current: bool,
    pub mutate_old: bool,
    pub key_relation: KeyRelation,
    /// `Timestamp` or `ext:AgeSeconds`; `None` signs at the host's now.
    pub timestamp: Option<ProofTimestamp>,
}

/// The `X-WOPI-TimeStamp` a `<ProofKey>` asks for: the two attributes are exclusive, so one enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofTimestamp {
    /// `Timestamp`, read as UTC (the engine reads a trailing `Z` as local time: a fault we do not copy).
    At(String),
    /// `ext:AgeSeconds`: this many seconds before the host's now as the runner knows it (read from the host's clock
    /// hook when it has one, else the runner's clock after any `<ext:AdvanceClock>`); negative is in the future.
    /// Resolved when the request is sent.
    AgeSeconds(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRelation {
    Synced,
    Ahead,
    Behind,
    /// Any other value: the engine applies no mutation at all.
    Other,
}

/// `<SaveState><State Name Source SourceType/></SaveState>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSpec {
    pub name: String,
    pub source: String,
    pub source_type: StateSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateSource {
    JsonBody,
    Header,
}

/// How much a broken check weighs. `Should` is our extension (`ext:Severity="Should"`): a SHOULD of the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Severity {
    #[default]
    Must,
    Should,
}

/// One validator element.
#[derive(Debug, Clone)]
pub struct Validator {
    pub kind: ValidatorKind,
    pub severity: Severity,
    pub pos: Pos,
}

/// `ResponseHeaderValidator@Comparator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Comparator {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
        }
    }
}

/// What ResponseContentValidator compares the body with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedContent {
    Resource(String),
    Text(String),
}

#[derive(Debug, Clone)]
pub enum ValidatorKind {
    ResponseCode {
        expected: i32,
    },
    ResponseHeader {
        header: String,
        expected_value: Option<String>,
        expected_state_key: Option<String>,
        comparator: Comparator,
        /// Engine default `false` (the XSD says `true`; the engine wins).
        is_required: bool,
        should_match: bool,
        /// `ext:CaseSensitive="true"`: `=` compares the value byte for byte (lock IDs are opaque strings compared
        /// exactly, rest/concepts.rst); the engine's rule, and the default, ignores case.
        case_sensitive: bool,
    },
    /// `<ResponseHeaderValidator Header="h" ext:Absent="true"/>`: the response must not carry the header (for
    /// "should not be included" rules; combine with `ext:Severity="Should"`).
    ResponseHeaderAbsent {
        header: String,
    },
    LockMismatch {
        expected_lock: String,
    },
    JsonContent {
        should_exist: bool,
        properties: Vec<JsonProperty>,
        /// `ext:NoNullProperties="true"`: any property (at any depth) whose value is `null` is reported, always as
        /// a warning (CheckFileInfo.rst: "No properties should be set to null").
        no_null_properties: bool,
    },
    JsonSchema {
        schema: String,
    },
    ResponseContent {
        expected: ExpectedContent,
    },
    Or(Vec<Validator>),
    And(Vec<Validator>),
    Frames(Box<FramesValidator>),
}

/// `<FramesValidator>` (incremental file transfer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramesValidator {
    pub message_json_payload_schema: String,
    pub expected_host_blobs_count: Option<i32>,
    pub streams: Vec<ContentStreamCheck>,
    pub properties: Vec<ContentPropertyCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentStreamCheck {
    pub stream_id: String,
    pub expected_chunking_scheme: ChunkingScheme,
    pub already_existing_content: Option<String>,
    pub already_existing_content_resource_id: Option<String>,
    pub expected_content: Option<String>,
    pub expected_content_resource_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentPropertyCheck {
    pub name: String,
    pub should_be_returned: bool,
    pub expected_value: String,
    pub expected_retention: String,
}

/// One property check of JsonResponseContentValidator.
#[derive(Debug, Clone)]
pub struct JsonProperty {
    /// A Newtonsoft JSONPath (`BaseFileName`, `ActivityResponses[0].Id`, `AncestorsWithRootFirst[-1:].Url`).
    pub name: String,
    pub is_required: bool,
    pub kind: JsonPropertyKind,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub enum JsonPropertyKind {
    Boolean {
        expected: Option<bool>,
        state_key: Option<String>,
    },
    Integer {
        expected: Option<i32>,
        state_key: Option<String>,
    },
    Long {
        expected: Option<i64>,
        state_key: Option<String>,
    },
    String {
        expected: Option<String>,
        state_key: Option<String>,
        ends_with: Option<String>,
        ignore_case: bool,
        /// `ext:DiffersFromState="Key"`: the value must differ from the one saved under `Key` (CheckFileInfo.rst:
        /// Version "must change when the file changes"); a key never saved fails, as nothing can be compared.
        differs_from_state: Option<String>,
    },
    StringRegex {
        pattern: String,
        regex: regex::Regex,
        should_match: bool,
    },
    AbsoluteUrl {
        must_include_access_token: bool,
    },
    Array {
        contains_value: Option<String>,
        state_key: Option<String>,
    },
    ArrayLength {
        expected: i32,
    },
    ResponseBody {
        expected: serde_json::Value,
    },
}

impl JsonPropertyKind {
    pub fn element_name(&self) -> &'static str {
        match self {
            JsonPropertyKind::Boolean { .. } => "BooleanProperty",
            JsonPropertyKind::Integer { .. } => "IntegerProperty",
            JsonPropertyKind::Long { .. } => "LongProperty",
            JsonPropertyKind::String { .. } => "StringProperty",
            JsonPropertyKind::StringRegex { .. } => "StringRegexProperty",
            JsonPropertyKind::AbsoluteUrl { .. } => "AbsoluteUrlProperty",
            JsonPropertyKind::Array { .. } => "ArrayProperty",
            JsonPropertyKind::ArrayLength { .. } => "ArrayLengthProperty",
            JsonPropertyKind::ResponseBody { .. } => "ResponseBodyProperty",
        }
    }
}

impl Suite {
    /// Looks up a prereq case by name.
    pub fn prereq(&self, name: &str) -> Option<&TestCase> {
        self.prereqs.iter().find(|p| p.name == name)
    }

    /// Looks up a resource by id.
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.id == id)
    }

    /// Every group case, with its group.
    pub fn cases(&self) -> impl Iterator<Item = (&TestGroup, &TestCase)> {
        self.groups.iter().flat_map(|g| g.cases.iter().map(move |c| (g, c)))
    }
}

/// `ext:Profiles` for cases of Microsoft's TestCases.xml (which we do not edit): (case name, profiles, reason).
pub const VALIDATOR_SCOPES: &[(&str, &[wopi_mock_office::ClientProfile], &str)] = &[(
    "ProofKeys.CurrentValidSignedWithOldKey.OldInvalid",
    &[
        wopi_mock_office::ClientProfile::Office,
        wopi_mock_office::ClientProfile::Onlyoffice,
    ],
    "it signs with the old proof key, and Collabora publishes none (clients.md §7, CO-PK)",
)];

/// Which client profiles a case applies to, and why only those (`ext:ProfileReason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileScope {
    pub profiles: Vec<wopi_mock_office::ClientProfile>,
    pub reason: Option<String>,
}

impl TestCase {
    /// Why the case does not run with client `profile` (its `ext:Profiles` leaves it out), or `None` when it
    /// applies.
    pub fn not_for_profile(&self, profile: &str) -> Option<String> {
        let Some(scope) = self.profiles.as_ref() else {
            return self.validator_scope(profile);
        };
        if scope.profiles.iter().any(|p| p.name() == profile) {
            return None;
        }
        let only: Vec<&str> = scope.profiles.iter().map(|p| p.name()).collect();
        Some(format!(
            "does not apply to the {profile} profile: the case is for {} only (ext:Profiles){}",
            only.join(" and "),
            scope.reason.as_deref().map(|r| format!("; {r}")).unwrap_or_default()
        ))
    }

    /// The scope of a case of Microsoft's TestCases.xml, which cannot carry our attribute: [`VALIDATOR_SCOPES`].
    fn validator_scope(&self, profile: &str) -> Option<String> {
        let (_, only, reason) = VALIDATOR_SCOPES.iter().find(|(name, _, _)| *name == self.name)?;
        (!only.iter().any(|p| p.name() == profile)).then(|| {
            format!(
                "does not apply to the {profile} profile: the case is for {} only (built-in scope of a validator \
                 case); {reason}",
                only.iter().map(|p| p.name()).collect::<Vec<_>>().join(" and ")
            )
        })
    }

    /// The validator requests of the case (extension steps excluded), including those inside `ext:Concurrent`.
    pub fn all_requests(&self) -> impl Iterator<Item = &Request> {
        self.requests.iter().flat_map(|s| match s {
            Step::Request(r) => std::slice::from_ref(r).iter(),
            Step::Concurrent(c) => c.requests.iter(),
            _ => [].iter(),
        })
    }
}

impl Resource {
    /// The bytes the validator uploads for this resource: the UTF-8 string `Id + FilePath + Name` (it never reads
    /// the file), or nothing for `ZeroByteFile.wopitest` and for resources with an empty name and path
    /// (validator-semantics.md §2.8). Hosts are checked byte for byte against these.
    pub fn bytes(&self) -> Vec<u8> {
        if self.name == "ZeroByteFile.wopitest" || (self.name.is_empty() && self.file_path.is_empty()) {
            return Vec::new();
        }
        format!("{}{}{}", self.id, self.file_path, self.name).into_bytes()
    }

    /// The `FilePath` prefix of the validator's Zip chunking fixtures (its embedded-resource names).
    pub const ZIP_FIXTURE_PREFIX: &'static str = "Microsoft.Office.WopiValidator.Core.Resources.ZipChunking.";

    /// The empty document of the Zip scheme (`ZeroByteOfficeDocument`: no name, no path): no bytes, no chunk.
    pub fn is_empty_document(&self) -> bool {
        self.name.is_empty() && self.file_path.is_empty()
    }

    /// For a Zip chunking fixture (`FilePath="Microsoft.Office.WopiValidator.Core.Resources.ZipChunking.
    /// NonZeroByteExcel.Version1.MainContent."`), its directory relative to the validator directory:
    /// `Resources/ZipChunking/NonZeroByteExcel/Version1/MainContent`. `None` for any other resource, and for a
    /// path segment that is not plain letters, digits, `_` or `-` (nothing may climb out of the directory).
    pub fn zip_fixture_dir(&self) -> Option<PathBuf> {
        let rest = self.file_path.strip_prefix(Self::ZIP_FIXTURE_PREFIX)?;
        let rest = rest.strip_suffix('.').unwrap_or(rest);
        let safe = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let mut dir = PathBuf::from("Resources").join("ZipChunking");
        for part in rest.split('.') {
            if !safe(part) {
                return None;
            }
            dir.push(part);
        }
        Some(dir)
    }
}
