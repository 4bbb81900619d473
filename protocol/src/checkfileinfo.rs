//! The CheckFileInfo response: a typed model of every documented property, and validation of a raw body by
//! property name.
//!
//! Sources: `rest/files/CheckFileInfo.rst` (required properties, host capabilities, user metadata, user
//! permissions, file URLs, breadcrumbs, miscellaneous, unused/future, workflow and deprecated properties),
//! `online/scenarios/customization.rst` (the PostMessage properties, which `CheckFileInfo.rst` refers to), and
//! `rest/_fragments/param_types.rst` (defaults; "No properties should be set to null").
//!
//! Two entry points serve two users:
//! - a host builds a [`CheckFileInfo`] and serialises it (unset properties are omitted, never `null`);
//! - a checker passes whatever came back to [`validate`] (rules the docs state with *must*, and type errors) and
//!   [`advise`] (rules stated with *should*, best practices), and gets one [`PropertyProblem`] per finding, named
//!   by property. Validation works on a [`serde_json::Value`] rather than the typed model so that a `Size` sent as a
//!   string is reported as such instead of failing the whole parse.
//!
//! Every array property in the docs is an array of strings; [`JsonType::Array`] means that here.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::names::{DEFAULT_FILE_NAME_MAX_LENGTH, FileName};

/// The JSON type of a value, as the docs name property types (**string**, **Boolean**, **long**/**integer**,
/// **array**).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JsonType {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Bool,
    /// A number without fraction or exponent that fits in 64 bits.
    Integer,
    /// Any other number.
    Number,
    /// A JSON array.
    Array,
    /// A JSON object.
    Object,
    /// `null`.
    Null,
}

impl JsonType {
    /// The type of `value`. Numbers count as [`JsonType::Integer`] only when serde_json holds them as `i64`/`u64`,
    /// so `1.0` and `1e3` are [`JsonType::Number`].
    pub fn of(value: &Value) -> JsonType {
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Bool,
            Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    /// Whether a value of type `found` satisfies this expected type (an integer is also a number).
    pub fn accepts(self, found: JsonType) -> bool {
        self == found || (self == JsonType::Number && found == JsonType::Integer)
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonType::String => "string",
            JsonType::Bool => "Boolean",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        })
    }
}

/// The section of `CheckFileInfo.rst` (or `customization.rst`) a property is documented in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    /// "Required response properties": must be present in every response.
    Required,
    /// "WOPI host capabilities properties" (`Supports*`, `SupportedShareUrlTypes`).
    HostCapabilities,
    /// "User metadata properties".
    UserMetadata,
    /// "User permissions properties".
    UserPermissions,
    /// "File URL properties".
    FileUrls,
    /// "PostMessage properties" (`customization.rst`).
    PostMessage,
    /// "Breadcrumb properties".
    Breadcrumb,
    /// "Other miscellaneous properties".
    Miscellaneous,
    /// "Unused and future properties".
    UnusedOrFuture,
    /// "Workflow properties" (prerelease).
    Workflow,
    /// "Deprecated properties".
    Deprecated,
}

/// One documented property: its exact name, JSON type and section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertySpec {
    /// The exact (PascalCase) JSON name.
    pub name: &'static str,
    /// The documented type.
    pub json_type: JsonType,
    /// Where it is documented.
    pub category: Category,
}

macro_rules! check_file_info {
    ( $( $(#[$doc:meta])* $json:literal => $field:ident : $rust:ty = $jt:ident in $cat:ident; )+ ) => {
        /// A CheckFileInfo response body. Every documented property is an `Option` (omitted when `None`, as the
        /// docs ask instead of `null`), with its exact JSON name; properties we do not model are kept in `extra`
        /// so that reading and re-writing a body loses nothing.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct CheckFileInfo {
            $(
                $(#[$doc])*
                #[serde(rename = $json, default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$rust>,
            )+
            /// Properties not in the docs (host extensions, Collabora's `X-COOL`-era fields, CSPP additions...).
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        /// Every property documented in `CheckFileInfo.rst` and the PostMessage properties of
        /// `customization.rst`, in documentation order.
        pub const PROPERTIES: &[PropertySpec] = &[
            $( PropertySpec { name: $json, json_type: JsonType::$jt, category: Category::$cat }, )+
        ];
    };
}

check_file_info! {
    // ---- Required ----
    /// The file name including extension, without a path.
    "BaseFileName" => base_file_name: String = String in Required;
    /// Uniquely identifies the file's owner; unique per user and stable over time.
    "OwnerId" => owner_id: String = String in Required;
    /// File size in bytes, a 64-bit signed integer (**long**).
    "Size" => size: i64 = Integer in Required;
    /// Uniquely identifies the user accessing the file; may be omitted when `IsAnonymousUser` is true.
    "UserId" => user_id: String = String in Required;
    /// Current version; must be a **string** even if numeric, must change with the file and never repeat.
    "Version" => version: String = String in Required;

    // ---- Host capabilities ----
    /// Share URL types the host supports (`ReadOnly`, `ReadWrite`).
    "SupportedShareUrlTypes" => supported_share_url_types: Vec<String> = Array in HostCapabilities;
    /// Host supports ExecuteCellStorageRequest and ExecuteCellStorageRelativeRequest.
    "SupportsCobalt" => supports_cobalt: bool = Bool in HostCapabilities;
    /// Host supports the container operations (and DeleteFile).
    "SupportsContainers" => supports_containers: bool = Bool in HostCapabilities;
    /// Host supports DeleteFile.
    "SupportsDeleteFile" => supports_delete_file: bool = Bool in HostCapabilities;
    /// Host supports CheckEcosystem, GetEcosystem and GetRootContainer.
    "SupportsEcosystem" => supports_ecosystem: bool = Bool in HostCapabilities;
    /// Host supports lock IDs up to 1024 characters (otherwise clients assume 256).
    "SupportsExtendedLockLength" => supports_extended_lock_length: bool = Bool in HostCapabilities;
    /// Host supports CheckFolderInfo, EnumerateChildren (folders) and DeleteFile.
    "SupportsFolders" => supports_folders: bool = Bool in HostCapabilities;
    /// Host supports GetFileWopiSrc.
    "SupportsGetFileWopiSrc" => supports_get_file_wopi_src: bool = Bool in HostCapabilities;
    /// Host supports GetLock.
    "SupportsGetLock" => supports_get_lock: bool = Bool in HostCapabilities;
    /// Host supports Lock, Unlock, RefreshLock and UnlockAndRelock.
    "SupportsLocks" => supports_locks: bool = Bool in HostCapabilities;
    /// Host supports RenameFile.
    "SupportsRename" => supports_rename: bool = Bool in HostCapabilities;
    /// Host supports PutFile and PutRelativeFile.
    "SupportsUpdate" => supports_update: bool = Bool in HostCapabilities;
    /// Host supports PutUserInfo.
    "SupportsUserInfo" => supports_user_info: bool = Bool in HostCapabilities;

    // ---- User metadata ----
    /// The user's display name.
    "UserFriendlyName" => user_friendly_name: String = String in UserMetadata;
    /// The user is not authenticated with the host.
    "IsAnonymousUser" => is_anonymous_user: bool = Bool in UserMetadata;
    /// The user is a business user (business editing).
    "LicenseCheckForEditIsEnabled" => license_check_for_edit_is_enabled: bool = Bool in UserMetadata;
    /// The string last stored by PutUserInfo for this user; must be returned when the host has one.
    "UserInfo" => user_info: String = String in UserMetadata;
    /// The user is an education user.
    "IsEduUser" => is_edu_user: bool = Bool in UserMetadata;

    // ---- User permissions ----
    /// For this user, the file cannot be changed.
    "ReadOnly" => read_only: bool = Bool in UserPermissions;
    /// The client should restrict what the user can do (client-dependent).
    "RestrictedWebViewOnly" => restricted_web_view_only: bool = Bool in UserPermissions;
    /// The user may view a broadcast of the file.
    "UserCanAttend" => user_can_attend: bool = Bool in UserPermissions;
    /// The user cannot create new files: PutRelativeFile will fail.
    "UserCanNotWriteRelative" => user_can_not_write_relative: bool = Bool in UserPermissions;
    /// The user may broadcast the file.
    "UserCanPresent" => user_can_present: bool = Bool in UserPermissions;
    /// The user may rename the file.
    "UserCanRename" => user_can_rename: bool = Bool in UserPermissions;
    /// The user may alter the file: the client may call PutFile for them.
    "UserCanWrite" => user_can_write: bool = Bool in UserPermissions;

    // ---- File URLs ----
    /// Where to navigate when the application closes or fails unrecoverably.
    "CloseUrl" => close_url: String = String in FileUrls;
    /// Direct download of the latest version of the file.
    "DownloadUrl" => download_url: String = String in FileUrls;
    /// Where the user can create an embeddable URI to the file.
    "FileEmbedCommandUrl" => file_embed_command_url: String = String in FileUrls;
    /// Where the user can share the file.
    "FileSharingUrl" => file_sharing_url: String = String in FileUrls;
    /// Where the user can see the version history.
    "FileVersionUrl" => file_version_url: String = String in FileUrls;
    /// Where the client may fetch the file instead of GetFile (used exactly as given, not proof-signed).
    "FileUrl" => file_url: String = String in FileUrls;
    /// Host page loading the `edit` action.
    "HostEditUrl" => host_edit_url: String = String in FileUrls;
    /// Embeddable viewing page (typically the `embedview` action).
    "HostEmbeddedViewUrl" => host_embedded_view_url: String = String in FileUrls;
    /// Host page loading the `view` action.
    "HostViewUrl" => host_view_url: String = String in FileUrls;
    /// Signs the user out of the host.
    "SignoutUrl" => signout_url: String = String in FileUrls;

    // ---- PostMessage (customization.rst) ----
    /// The host frame supports HTML5 session history (`App_PushState`/`App_PopState`; OneNote only).
    "AppStateHistoryPostMessage" => app_state_history_post_message: bool = Bool in PostMessage;
    /// The host expects `UI_Close` when Close is activated (CloseUrl must still be set for Close UI to show).
    "ClosePostMessage" => close_post_message: bool = Bool in PostMessage;
    /// The host expects `UI_Edit` when Edit is activated.
    "EditModePostMessage" => edit_mode_post_message: bool = Bool in PostMessage;
    /// The host expects `Edit_Notification`.
    "EditNotificationPostMessage" => edit_notification_post_message: bool = Bool in PostMessage;
    /// The host expects `UI_FileEmbed` when Embed is activated.
    "FileEmbedCommandPostMessage" => file_embed_command_post_message: bool = Bool in PostMessage;
    /// The host expects `UI_Sharing` when Share is activated.
    "FileSharingPostMessage" => file_sharing_post_message: bool = Bool in PostMessage;
    /// The host expects `UI_FileVersions` when Previous Versions is activated.
    "FileVersionPostMessage" => file_version_post_message: bool = Bool in PostMessage;
    /// Origin (scheme, host, port if non-standard) of the host page; `*` is not allowed.
    "PostMessageOrigin" => post_message_origin: String = String in PostMessage;
    /// The host expects `UI_Workflow` when Workflow is activated.
    "WorkflowPostMessage" => workflow_post_message: bool = Bool in PostMessage;

    // ---- Breadcrumbs ----
    /// The host's brand name.
    "BreadcrumbBrandName" => breadcrumb_brand_name: String = String in Breadcrumb;
    /// Where clicking the brand name goes.
    "BreadcrumbBrandUrl" => breadcrumb_brand_url: String = String in Breadcrumb;
    /// The file's display name (clients fall back to BaseFileName).
    "BreadcrumbDocName" => breadcrumb_doc_name: String = String in Breadcrumb;
    /// The containing folder's name.
    "BreadcrumbFolderName" => breadcrumb_folder_name: String = String in Breadcrumb;
    /// Where clicking the folder name goes.
    "BreadcrumbFolderUrl" => breadcrumb_folder_url: String = String in Breadcrumb;

    // ---- Other miscellaneous ----
    /// The client may use Microsoft services (spelling, Smart Lookup).
    "AllowAdditionalMicrosoftServices" => allow_additional_microsoft_services: bool = Bool in Miscellaneous;
    /// The client may prompt for a detailed error report.
    "AllowErrorReportPrompt" => allow_error_report_prompt: bool = Bool in Miscellaneous;
    /// The client may connect to external services referenced in the file.
    "AllowExternalMarketplace" => allow_external_marketplace: bool = Bool in Miscellaneous;
    /// Close UI closes the window or tab.
    "CloseButtonClosesWindow" => close_button_closes_window: bool = Bool in Miscellaneous;
    /// Throttling protection level (`MostProtected` ... `LeastProtected`).
    "ClientThrottlingProtection" => client_throttling_protection: String = String in Miscellaneous;
    /// `BlockAll` or `CurrentDocumentOnly` (prerelease).
    "CopyPasteRestrictions" => copy_paste_restrictions: String = String in Miscellaneous;
    /// Disable all printing.
    "DisablePrint" => disable_print: bool = Bool in Miscellaneous;
    /// Disable machine translation.
    "DisableTranslation" => disable_translation: bool = Bool in Miscellaneous;
    /// The file extension; must begin with `.`.
    "FileExtension" => file_extension: String = String in Miscellaneous;
    /// Longest file name without extension the host supports; default (and `0`) means 250.
    "FileNameMaxLength" => file_name_max_length: i64 = Integer in Miscellaneous;
    /// Last modification, UTC, ISO 8601 round-trip format (`2009-06-15T13:45:30.0000000Z`).
    "LastModifiedTime" => last_modified_time: String = String in Miscellaneous;
    /// Requested client throttling (`Normal`, `Minor`, `Medium`, `Major`, `Critical`).
    "RequestedCallThrottling" => requested_call_throttling: String = String in Miscellaneous;
    /// Base64 SHA-256 of the file contents.
    "SHA256" => sha256: String = String in Miscellaneous;
    /// `Private` or `Shared` (prerelease).
    "SharingStatus" => sharing_status: String = String in Miscellaneous;
    /// The host temporarily cannot process writes.
    "TemporarilyNotWritable" => temporarily_not_writable: bool = Bool in Miscellaneous;
    /// Content identifier usable instead of SHA256 (equal content, equal ID).
    "UniqueContentId" => unique_content_id: String = String in Miscellaneous;

    // ---- Unused and future ----
    /// URI for opening the file through a client (e.g. DAV).
    "ClientUrl" => client_url: String = String in UnusedOrFuture;
    /// Host supports creating new files through the client.
    "SupportsFileCreation" => supports_file_creation: bool = Bool in UnusedOrFuture;
    /// Host supports restricted scenario links.
    "SupportsScenarioLinks" => supports_scenario_links: bool = Bool in UnusedOrFuture;
    /// Host supports secure store calls.
    "SupportsSecureStore" => supports_secure_store: bool = Bool in UnusedOrFuture;
    /// Time zone information, host-defined format.
    "TimeZone" => time_zone: String = String in UnusedOrFuture;
    /// Should not be used; use UserId.
    "HostAuthenticationId" => host_authentication_id: String = String in UnusedOrFuture;
    /// The user in the context of PresenceProvider.
    "PresenceUserId" => presence_user_id: String = String in UnusedOrFuture;
    /// The user's tenant.
    "TenantId" => tenant_id: String = String in UnusedOrFuture;
    /// Uniquely identifies the user.
    "UserPrincipalName" => user_principal_name: String = String in UnusedOrFuture;
    /// Not yet documented (a URI, like the other `*Url` properties).
    "EditAndReplyUrl" => edit_and_reply_url: String = String in UnusedOrFuture;
    /// Arbitrary host information the client may ignore.
    "HostNotes" => host_notes: String = String in UnusedOrFuture;
    /// Provider of online-status information.
    "PresenceProvider" => presence_provider: String = String in UnusedOrFuture;
    /// Base URI for REST operations on the file.
    "HostRestUrl" => host_rest_url: String = String in UnusedOrFuture;
    /// Sign-in page, for anonymous users.
    "SignInUrl" => sign_in_url: String = String in UnusedOrFuture;
    /// The client should not cache file contents in the browser.
    "DisableBrowserCachingOfUserContent" => disable_browser_caching_of_user_content: bool = Bool in UnusedOrFuture;
    /// IRM policy text to display.
    "IrmPolicyDescription" => irm_policy_description: String = String in UnusedOrFuture;
    /// IRM policy title to display.
    "IrmPolicyTitle" => irm_policy_title: String = String in UnusedOrFuture;
    /// The client should prevent copying and printing (IRM).
    "ProtectInClient" => protect_in_client: bool = Bool in UnusedOrFuture;
    /// Embeddable editing page.
    "HostEmbeddedEditUrl" => host_embedded_edit_url: String = String in UnusedOrFuture;
    /// The client must not allow editing.
    "WebEditingDisabled" => web_editing_disabled: bool = Bool in UnusedOrFuture;
    /// Cobalt capabilities (`DownloadStreaming`); ignored unless SupportsCobalt.
    "CobaltCapabilities" => cobalt_capabilities: Vec<String> = Array in UnusedOrFuture;

    // ---- Workflow (prerelease) ----
    /// Workflow types (`Assign`, `Submit`); must be present when WorkflowUrl or WorkflowPostMessage is.
    "WorkflowType" => workflow_type: Vec<String> = Array in Workflow;
    /// Where the user can take part in a workflow; ignored without WorkflowType.
    "WorkflowUrl" => workflow_url: String = String in Workflow;

    // ---- Deprecated (the docs give no types; these are the validator schema's) ----
    /// Deprecated 2014-06-01.
    "BreadcrumbDocUrl" => breadcrumb_doc_url: String = String in Deprecated;
    /// Deprecated 2014-06-01.
    "EditingCannotSave" => editing_cannot_save: bool = Bool in Deprecated;
    /// Deprecated 2016-01-12.
    "HostName" => host_name: String = String in Deprecated;
    /// Deprecated 2015-06-01.
    "PrivacyUrl" => privacy_url: String = String in Deprecated;
    /// Deprecated 2015-06-01.
    "TermsOfUseUrl" => terms_of_use_url: String = String in Deprecated;
    /// Deprecated 2016-01-27.
    "SupportsCoauth" => supports_coauth: bool = Bool in Deprecated;
}

impl CheckFileInfo {
    /// A response with the five required properties set and nothing else.
    pub fn new(
        base_file_name: impl Into<String>,
        owner_id: impl Into<String>,
        size: i64,
        user_id: impl Into<String>,
        version: impl Into<String>,
    ) -> CheckFileInfo {
        CheckFileInfo {
            base_file_name: Some(base_file_name.into()),
            owner_id: Some(owner_id.into()),
            size: Some(size),
            user_id: Some(user_id.into()),
            version: Some(version.into()),
            ..CheckFileInfo::default()
        }
    }

    /// The file-name limit a client will apply: `FileNameMaxLength`, or 250 when it is absent, `0` or negative.
    pub fn effective_file_name_max_length(&self) -> usize {
        match self.file_name_max_length {
            Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => DEFAULT_FILE_NAME_MAX_LENGTH,
        }
    }
}

/// The documented type of a property, or `None` for a name the docs do not define. Names are exact
/// (case-sensitive), as JSON property names are.
pub fn property_type(name: &str) -> Option<JsonType> {
    property_spec(name).map(|p| p.json_type)
}

/// The documentation entry for a property name, if any.
pub fn property_spec(name: &str) -> Option<&'static PropertySpec> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// The names every response must carry (`Required response properties`).
pub fn required_properties() -> impl Iterator<Item = &'static str> {
    PROPERTIES
        .iter()
        .filter(|p| p.category == Category::Required)
        .map(|p| p.name)
}

/// What is wrong with one property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    /// A required property is absent.
    Missing,
    /// The property has the wrong JSON type (including `null` where a value is required).
    WrongType {
        /// The documented type.
        expected: JsonType,
        /// What was sent.
        found: JsonType,
    },
    /// The type is right but the value or its combination with other properties breaks a documented rule.
    Invalid(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("required property is missing"),
            Problem::WrongType { expected, found } => write!(f, "expected {expected}, found {found}"),
            Problem::Invalid(why) => f.write_str(why),
        }
    }
}

/// One finding about one property, e.g. `Size: expected integer, found string`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyProblem {
    /// The property's JSON name (or `(body)` when the body is not an object).
    pub property: String,
    /// What is wrong.
    pub problem: Problem,
}

impl PropertyProblem {
    fn new(property: &str, problem: Problem) -> PropertyProblem {
        PropertyProblem {
            property: property.to_owned(),
            problem,
        }
    }

    fn invalid(property: &str, why: impl Into<String>) -> PropertyProblem {
        PropertyProblem::new(property, Problem::Invalid(why.into()))
    }
}

impl fmt::Display for PropertyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.property, self.problem)
    }
}

fn get_bool(obj: &Map<String, Value>, name: &str) -> bool {
    obj.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn get_str<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    obj.get(name).and_then(Value::as_str)
}

/// Checks a CheckFileInfo body against the rules the docs state as requirements, and returns one problem per
/// finding (empty when the body conforms):
///
/// - every required property is present (`UserId` may be omitted when `IsAnonymousUser` is `true`), and not `null`;
/// - every documented property has its documented JSON type (`Size` is an integer, `UserCanWrite` a Boolean, not
///   the string `"true"`), array elements are strings;
/// - values: `Size` and `FileNameMaxLength` are not negative, `BaseFileName` is a name without a path (and does not
///   start with `.`), `FileExtension` begins with `.`, `LastModifiedTime` is UTC ISO 8601 (`...Z`), `SHA256` is the
///   base64 of 32 bytes, URL properties are absolute `http(s)` URLs, `PostMessageOrigin` has a scheme and host and
///   is not `*`;
/// - combinations: `UserCanWrite` with `ReadOnly`, `UserCanWrite` without `SupportsUpdate`, `SupportsUpdate`
///   without `SupportsLocks` (clients require locks to edit, `Lock.rst`), `WorkflowUrl`/`WorkflowPostMessage`
///   without `WorkflowType`.
///
/// Unknown properties are not problems. `null` on an optional property is left to [`advise`] (the docs say
/// *should not*).
pub fn validate(body: &Value) -> Vec<PropertyProblem> {
    let Some(obj) = body.as_object() else {
        return vec![PropertyProblem::new(
            "(body)",
            Problem::WrongType {
                expected: JsonType::Object,
                found: JsonType::of(body),
            },
        )];
    };
    let mut problems = Vec::new();
    let anonymous = get_bool(obj, "IsAnonymousUser");

    for spec in PROPERTIES {
        let value = obj.get(spec.name);
        let required = spec.category == Category::Required && !(spec.name == "UserId" && anonymous);
        match value {
            None if required => problems.push(PropertyProblem::new(spec.name, Problem::Missing)),
            None => {}
            Some(Value::Null) if !required => {}
            Some(v) => {
                let found = JsonType::of(v);
                if !spec.json_type.accepts(found) {
                    problems.push(PropertyProblem::new(
                        spec.name,
                        Problem::WrongType {
                            expected: spec.json_type,
                            found,
                        },
                    ));
                } else if let Value::Array(items) = v {
                    for (i, item) in items.iter().enumerate() {
                        if !item.is_string() {
                            problems.push(PropertyProblem::invalid(
                                spec.name,
                                format!("element {i} is {}, expected a string", JsonType::of(item)),
                            ));
                        }
                    }
                } else if let Some(problem) = value_problem(spec, v) {
                    problems.push(problem);
                }
            }
        }
    }

    // Cross-property rules; each only fires when the properties involved have the right types.
    if get_bool(obj, "UserCanWrite") && get_bool(obj, "ReadOnly") {
        problems.push(PropertyProblem::invalid(
            "UserCanWrite",
            "is true while ReadOnly is true: ReadOnly says the file cannot be changed for this user",
        ));
    }
    if get_bool(obj, "UserCanWrite") && !get_bool(obj, "SupportsUpdate") {
        problems.push(PropertyProblem::invalid(
            "SupportsUpdate",
            "is not true while UserCanWrite is true: a client may only call PutFile when the host supports it",
        ));
    }
    if get_bool(obj, "SupportsUpdate") && !get_bool(obj, "SupportsLocks") {
        problems.push(PropertyProblem::invalid(
            "SupportsLocks",
            "is not true while SupportsUpdate is true: WOPI clients require locks to edit files (Lock.rst)",
        ));
    }
    let workflow_url = get_str(obj, "WorkflowUrl").is_some_and(|s| !s.is_empty());
    if (workflow_url || get_bool(obj, "WorkflowPostMessage")) && !obj.contains_key("WorkflowType") {
        problems.push(PropertyProblem::invalid(
            "WorkflowType",
            "must be present when WorkflowUrl or WorkflowPostMessage is provided",
        ));
    }
    problems
}

/// Rules on a single, correctly typed value.
fn value_problem(spec: &PropertySpec, v: &Value) -> Option<PropertyProblem> {
    let name = spec.name;
    if let Some(n) = v.as_i64().filter(|_| spec.json_type == JsonType::Integer) {
        return (n < 0).then(|| PropertyProblem::invalid(name, format!("is {n}, must not be negative")));
    }
    if spec.json_type == JsonType::Integer {
        // A u64 beyond i64::MAX: the docs' type is a signed 64-bit long.
        return Some(PropertyProblem::invalid(
            name,
            "does not fit in a 64-bit signed integer",
        ));
    }
    let s = v.as_str()?;
    match name {
        "BaseFileName" => FileName::new_with_max(s, usize::MAX)
            .err()
            .map(|e| PropertyProblem::invalid(name, format!("is not a file name without a path: {e}"))),
        "FileExtension" if !s.is_empty() && !s.starts_with('.') => {
            Some(PropertyProblem::invalid(name, format!("{s:?} must begin with \".\"")))
        }
        "LastModifiedTime" if !s.is_empty() && !is_utc_iso8601(s) => Some(PropertyProblem::invalid(
            name,
            format!("{s:?} is not a UTC ISO 8601 time such as \"2009-06-15T13:45:30.0000000Z\""),
        )),
        "SHA256" if !s.is_empty() => match base64::engine::general_purpose::STANDARD.decode(s) {
            Ok(bytes) if bytes.len() == 32 => None,
            Ok(bytes) => Some(PropertyProblem::invalid(
                name,
                format!("decodes to {} bytes, a SHA-256 hash has 32", bytes.len()),
            )),
            Err(_) => Some(PropertyProblem::invalid(name, "is not base64")),
        },
        "PostMessageOrigin" if !s.is_empty() => origin_problem(s).map(|why| PropertyProblem::invalid(name, why)),
        _ if name.ends_with("Url") && !s.is_empty() => {
            url_problem(s, name == "ClientUrl").map(|why| PropertyProblem::invalid(name, why))
        }
        _ => None,
    }
}

fn url_problem(s: &str, any_scheme: bool) -> Option<String> {
    match url::Url::parse(s) {
        Err(e) => Some(format!("is not an absolute URL ({e})")),
        Ok(u) if !any_scheme && u.scheme() != "http" && u.scheme() != "https" => {
            Some(format!("has scheme {:?}, expected http or https", u.scheme()))
        }
        Ok(_) => None,
    }
}

fn origin_problem(s: &str) -> Option<String> {
    if s == "*" {
        return Some("is \"*\", which Office for the web does not allow; give the host page's origin".to_owned());
    }
    match url::Url::parse(s) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => None,
        _ => Some(format!(
            "{s:?} must include the scheme and host name (and a non-standard port)"
        )),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with plausible field ranges; the `Z` is required because the docs require UTC.
fn is_utc_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            part.iter()
                .try_fold(0u32, |acc, d| acc.checked_mul(10)?.checked_add(u32::from(d - b'0')))
        } else {
            None
        }
    };
    let fixed = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':';
    if !fixed {
        return false;
    }
    let (Some(_year), Some(month), Some(day), Some(hour), Some(min), Some(sec)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return false;
    }
    let rest = &b[19..];
    let rest = match rest.split_first() {
        Some((b'.', frac)) => {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            &frac[n..]
        }
        _ => rest,
    };
    rest == b"Z" || rest == b"z"
}

/// Characters `CheckFileInfo.rst` tells hosts to avoid in `OwnerId` and `UserId`.
const DISCOURAGED_ID_CHARS: &[char] = &['<', '>', '"', '#', '{', '}', '^', '[', ']', '`', '\\', '/'];

/// Documented values of enumerated string properties; unknown values are ignored by clients (treated as unset).
const ENUM_VALUES: &[(&str, &[&str])] = &[
    (
        "ClientThrottlingProtection",
        &[
            "MostProtected",
            "Protected",
            "Normal",
            "LessProtected",
            "LeastProtected",
        ],
    ),
    ("CopyPasteRestrictions", &["BlockAll", "CurrentDocumentOnly"]),
    (
        "RequestedCallThrottling",
        &["Normal", "Minor", "Medium", "Major", "Critical"],
    ),
    ("SharingStatus", &["Private", "Shared"]),
    ("SupportedShareUrlTypes", &["ReadOnly", "ReadWrite"]),
    ("CobaltCapabilities", &["DownloadStreaming"]),
    ("WorkflowType", &["Assign", "Submit"]),
];

/// PostMessage properties whose UI also works without PostMessage when the matching URL property is set
/// (`customization.rst`, "Best practices when using PostMessage properties").
const POSTMESSAGE_URL_PAIRS: &[(&str, &str)] = &[
    ("FileSharingPostMessage", "FileSharingUrl"),
    ("FileVersionPostMessage", "FileVersionUrl"),
    ("FileEmbedCommandPostMessage", "FileEmbedCommandUrl"),
    ("WorkflowPostMessage", "WorkflowUrl"),
];

/// Checks the rules the docs state with *should* and their best practices; a client will still work, but
/// possibly not as the host intends:
///
/// - optional properties set to `null` ("No properties should be set to null");
/// - deprecated properties, and `HostAuthenticationId` ("should not be used");
/// - `OwnerId`/`UserId` containing ``<>"#{}^[]`\/``;
/// - enumerated values the docs do not list (clients ignore them);
/// - `SupportsContainers` without `SupportsDeleteFile`; `ClosePostMessage` without `CloseUrl` (no Close UI);
///   PostMessage properties without their URL counterpart; `WorkflowType` with neither `WorkflowUrl` nor
///   `WorkflowPostMessage` (ignored); `PostMessageOrigin` with a path.
pub fn advise(body: &Value) -> Vec<PropertyProblem> {
    let Some(obj) = body.as_object() else {
        return Vec::new();
    };
    let mut advice = Vec::new();
    for spec in PROPERTIES {
        match obj.get(spec.name) {
            Some(Value::Null) if spec.category != Category::Required => {
                advice.push(PropertyProblem::invalid(
                    spec.name,
                    "is null; omit the property instead",
                ));
            }
            Some(_) if spec.category == Category::Deprecated => {
                advice.push(PropertyProblem::invalid(spec.name, "is deprecated"));
            }
            _ => {}
        }
    }
    if obj.contains_key("HostAuthenticationId") {
        advice.push(PropertyProblem::invalid(
            "HostAuthenticationId",
            "should not be used; use UserId",
        ));
    }
    for name in ["OwnerId", "UserId"] {
        if let Some(bad) = get_str(obj, name).and_then(|s| s.chars().find(|c| DISCOURAGED_ID_CHARS.contains(c))) {
            advice.push(PropertyProblem::invalid(
                name,
                format!("contains {bad:?}, which some WOPI clients cannot handle"),
            ));
        }
    }
    for (name, allowed) in ENUM_VALUES {
        let values: Vec<&str> = match obj.get(*name) {
            Some(Value::String(s)) if !s.is_empty() => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for v in values.into_iter().filter(|v| !allowed.contains(v)) {
            advice.push(PropertyProblem::invalid(
                name,
                format!(
                    "{v:?} is not a documented value ({}); clients ignore it",
                    allowed.join(", ")
                ),
            ));
        }
    }
    let has_url = |name: &str| get_str(obj, name).is_some_and(|s| !s.is_empty());
    if get_bool(obj, "SupportsContainers") && !get_bool(obj, "SupportsDeleteFile") {
        advice.push(PropertyProblem::invalid(
            "SupportsDeleteFile",
            "should be true when SupportsContainers is true (SupportsContainers includes DeleteFile)",
        ));
    }
    if get_bool(obj, "ClosePostMessage") && !has_url("CloseUrl") {
        advice.push(PropertyProblem::invalid(
            "CloseUrl",
            "is missing while ClosePostMessage is true: Office for the web shows no Close UI without CloseUrl",
        ));
    }
    for (flag, url) in POSTMESSAGE_URL_PAIRS {
        if get_bool(obj, flag) && !has_url(url) {
            advice.push(PropertyProblem::invalid(
                url,
                format!("should be provided with {flag} for clients that cannot use PostMessage"),
            ));
        }
    }
    if obj.contains_key("WorkflowType") && !has_url("WorkflowUrl") && !get_bool(obj, "WorkflowPostMessage") {
        advice.push(PropertyProblem::invalid(
            "WorkflowType",
            "is ignored by clients without WorkflowUrl or WorkflowPostMessage",
        ));
    }
    if let Some(origin) = get_str(obj, "PostMessageOrigin")
        && let Ok(u) = url::Url::parse(origin)
        && (u.path() != "/" || u.query().is_some() || u.fragment().is_some())
    {
        advice.push(PropertyProblem::invalid(
            "PostMessageOrigin",
            format!("{origin:?} has a path, query or fragment; an origin is scheme, host and port only"),
        ));
    }
    advice
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full_valid_body() -> Value {
        json!({
            "BaseFileName": "test.wopitest",
            "OwnerId": "owner1",
            "Size": 1024,
            "UserId": "user1",
            "Version": "v1",
            "SupportsLocks": true,
            "SupportsGetLock": true,
            "SupportsExtendedLockLength": true,
            "SupportsUpdate": true,
            "SupportsRename": true,
            "SupportsDeleteFile": true,
            "SupportsUserInfo": true,
            "SupportedShareUrlTypes": ["ReadOnly", "ReadWrite"],
            "UserCanWrite": true,
            "UserCanRename": true,
            "UserCanNotWriteRelative": false,
            "ReadOnly": false,
            "UserFriendlyName": "User One",
            "IsAnonymousUser": false,
            "UserInfo": "",
            "HostEditUrl": "https://host.example/edit/1",
            "HostViewUrl": "https://host.example/view/1",
            "CloseUrl": "https://host.example/",
            "DownloadUrl": "http://localhost:8080/download/1",
            "PostMessageOrigin": "https://host.example",
            "ClosePostMessage": true,
            "EditModePostMessage": true,
            "BreadcrumbBrandName": "Host",
            "BreadcrumbBrandUrl": "https://host.example/",
            "FileExtension": ".wopitest",
            "FileNameMaxLength": 250,
            "LastModifiedTime": "2009-06-15T13:45:30.0000000Z",
            "SHA256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "RequestedCallThrottling": "Normal",
            "WorkflowType": ["Assign"],
            "WorkflowUrl": "https://host.example/workflow",
        })
    }

    fn names_of(problems: &[PropertyProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.property.as_str()).collect()
    }

    #[test]
    fn property_table_covers_the_documented_properties() {
        assert_eq!(PROPERTIES.len(), 99);
        let mut names: Vec<&str> = PROPERTIES.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PROPERTIES.len(), "duplicate names");
        assert_eq!(
            required_properties().collect::<Vec<_>>(),
            ["BaseFileName", "OwnerId", "Size", "UserId", "Version"]
        );
        assert_eq!(property_type("Size"), Some(JsonType::Integer));
        assert_eq!(property_type("Version"), Some(JsonType::String));
        assert_eq!(property_type("UserCanWrite"), Some(JsonType::Bool));
        assert_eq!(property_type("SupportedShareUrlTypes"), Some(JsonType::Array));
        assert_eq!(property_type("PostMessageOrigin"), Some(JsonType::String));
        assert_eq!(property_type("SHA256"), Some(JsonType::String));
        assert_eq!(property_type("size"), None, "names are case-sensitive");
        assert_eq!(property_type("SequenceNumber"), None);
    }

    /// Cross-checks the table against the glossary terms of the docs when the reference tree is present.
    #[test]
    fn property_table_matches_the_docs_glossaries() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/wopi-docs");
        let pages = ["rest/files/CheckFileInfo.rst", "online/scenarios/customization.rst"];
        let Ok(cfi) = std::fs::read_to_string(format!("{root}/{}", pages[0])) else {
            eprintln!("skipped: {root} not present");
            return;
        };
        let custom = std::fs::read_to_string(format!("{root}/{}", pages[1])).expect("customization.rst");
        let term = |l: &str| {
            let t = l.strip_prefix("    ")?;
            (!t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric())).then(|| t.to_owned())
        };
        let mut documented: Vec<String> = cfi.lines().filter_map(term).collect();
        documented.extend(custom.lines().filter_map(term).filter(|t| t.contains("PostMessage")));
        for t in &documented {
            assert!(property_spec(t).is_some(), "{t} is documented but not modelled");
        }
        for p in PROPERTIES {
            assert!(
                documented.iter().any(|t| t == p.name),
                "{} is modelled but not documented",
                p.name
            );
        }
    }

    #[test]
    fn struct_fields_and_table_agree() {
        // Build a body holding every property with a value of its type; every key must land in a field.
        let mut body = Map::new();
        for p in PROPERTIES {
            let v = match p.json_type {
                JsonType::String => json!("x"),
                JsonType::Bool => json!(true),
                JsonType::Integer => json!(7),
                JsonType::Array => json!(["x"]),
                other => panic!("unexpected documented type {other}"),
            };
            body.insert(p.name.to_owned(), v);
        }
        let body = Value::Object(body);
        let cfi: CheckFileInfo = serde_json::from_value(body.clone()).expect("deserialize");
        assert!(
            cfi.extra.is_empty(),
            "unmodelled keys: {:?}",
            cfi.extra.keys().collect::<Vec<_>>()
        );
        assert_eq!(serde_json::to_value(&cfi).expect("serialize"), body);
    }

    #[test]
    fn new_sets_required_and_omits_the_rest() {
        let cfi = CheckFileInfo::new("a.docx", "o", 0, "u", "1");
        let v = serde_json::to_value(&cfi).expect("serialize");
        assert_eq!(
            v,
            json!({"BaseFileName": "a.docx", "OwnerId": "o", "Size": 0, "UserId": "u", "Version": "1"})
        );
        assert!(validate(&v).is_empty(), "{:?}", validate(&v));
        assert_eq!(cfi.effective_file_name_max_length(), 250);
    }

    #[test]
    fn unknown_properties_survive_a_round_trip() {
        let mut body = full_valid_body();
        body["X-COOL-Custom"] = json!({"nested": [1, 2]});
        body["SequenceNumber"] = json!(42);
        let cfi: CheckFileInfo = serde_json::from_value(body.clone()).expect("deserialize");
        assert_eq!(cfi.extra.get("SequenceNumber"), Some(&json!(42)));
        assert_eq!(cfi.size, Some(1024));
        assert_eq!(cfi.user_can_write, Some(true));
        assert_eq!(
            cfi.supported_share_url_types.as_deref(),
            Some(&["ReadOnly".to_owned(), "ReadWrite".to_owned()][..])
        );
        assert_eq!(serde_json::to_value(&cfi).expect("serialize"), body);
    }

    #[test]
    fn full_valid_body_has_no_problems() {
        let body = full_valid_body();
        assert_eq!(validate(&body), Vec::new());
        assert_eq!(advise(&body), Vec::new());
    }

    #[test]
    fn missing_base_file_name_is_reported_by_name() {
        let mut body = full_valid_body();
        body.as_object_mut().expect("object").remove("BaseFileName");
        let problems = validate(&body);
        assert_eq!(problems, vec![PropertyProblem::new("BaseFileName", Problem::Missing)]);
        assert_eq!(problems[0].to_string(), "BaseFileName: required property is missing");
    }

    #[test]
    fn size_as_string_is_a_wrong_type() {
        let mut body = full_valid_body();
        body["Size"] = json!("1024");
        let problems = validate(&body);
        assert_eq!(
            problems,
            vec![PropertyProblem::new(
                "Size",
                Problem::WrongType {
                    expected: JsonType::Integer,
                    found: JsonType::String
                }
            )]
        );
        assert_eq!(problems[0].to_string(), "Size: expected integer, found string");
        body["Size"] = json!(1024.5);
        assert_eq!(
            validate(&body)[0].problem,
            Problem::WrongType {
                expected: JsonType::Integer,
                found: JsonType::Number
            }
        );
        body["Size"] = json!(-1);
        assert!(
            matches!(&validate(&body)[0], PropertyProblem { property, problem: Problem::Invalid(_) } if property == "Size")
        );
    }

    #[test]
    fn boolean_as_string_is_a_wrong_type() {
        let mut body = full_valid_body();
        body["UserCanWrite"] = json!("true");
        let problems = validate(&body);
        assert!(problems.contains(&PropertyProblem::new(
            "UserCanWrite",
            Problem::WrongType {
                expected: JsonType::Bool,
                found: JsonType::String
            }
        )));
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn version_as_number_and_null_required_are_wrong_types() {
        let mut body = full_valid_body();
        body["Version"] = json!(3);
        body["OwnerId"] = Value::Null;
        let problems = validate(&body);
        assert_eq!(names_of(&problems), ["OwnerId", "Version"]);
        assert_eq!(
            problems[0].problem,
            Problem::WrongType {
                expected: JsonType::String,
                found: JsonType::Null
            }
        );
    }

    #[test]
    fn anonymous_users_may_omit_user_id_only() {
        let mut body = full_valid_body();
        let obj = body.as_object_mut().expect("object");
        obj.remove("UserId");
        assert_eq!(names_of(&validate(&body)), ["UserId"]);
        body["IsAnonymousUser"] = json!(true);
        assert!(validate(&body).is_empty());
        body.as_object_mut().expect("object").remove("OwnerId");
        assert_eq!(names_of(&validate(&body)), ["OwnerId"]);
    }

    #[test]
    fn value_rules() {
        let cases: &[(&str, Value)] = &[
            ("BaseFileName", json!("../../a.odt")),
            ("BaseFileName", json!(".wopitest")),
            ("BaseFileName", json!("")),
            ("FileExtension", json!("wopitest")),
            ("LastModifiedTime", json!("2009-06-15 13:45:30")),
            ("LastModifiedTime", json!("2009-06-15T13:45:30+02:00")),
            ("LastModifiedTime", json!("2009-13-15T13:45:30Z")),
            ("SHA256", json!("not base64!")),
            ("SHA256", json!("AAAA")),
            ("HostEditUrl", json!("/relative/edit")),
            ("CloseUrl", json!("javascript:alert(1)")),
            ("PostMessageOrigin", json!("*")),
            ("PostMessageOrigin", json!("host.example")),
            ("FileNameMaxLength", json!(-5)),
            ("SupportedShareUrlTypes", json!(["ReadOnly", 3])),
        ];
        for (name, value) in cases {
            let mut body = full_valid_body();
            body[*name] = value.clone();
            let problems = validate(&body);
            assert_eq!(names_of(&problems), [*name], "{name} = {value}: {problems:?}");
            assert!(matches!(problems[0].problem, Problem::Invalid(_)), "{problems:?}");
        }
    }

    #[test]
    fn accepted_time_and_url_forms() {
        for ok in [
            "2009-06-15T13:45:30Z",
            "2009-06-15T13:45:30.1Z",
            "2026-11-25T20:00:00.123456789Z",
        ] {
            assert!(is_utc_iso8601(ok), "{ok}");
        }
        for bad in [
            "",
            "2009-06-15T13:45:30.Z",
            "2009-06-15T25:45:30Z",
            "2009-06-15T13:45:30ZZ",
            "2009-06-15",
        ] {
            assert!(!is_utc_iso8601(bad), "{bad}");
        }
        let mut body = full_valid_body();
        body["ClientUrl"] = json!("davs://host.example/file.docx");
        body["CloseUrl"] = json!("");
        assert!(validate(&body).is_empty());
    }

    #[test]
    fn cross_property_rules() {
        let mut body = full_valid_body();
        body["ReadOnly"] = json!(true);
        assert_eq!(names_of(&validate(&body)), ["UserCanWrite"]);

        let mut body = full_valid_body();
        body["SupportsLocks"] = json!(false);
        assert_eq!(names_of(&validate(&body)), ["SupportsLocks"]);

        let mut body = full_valid_body();
        body.as_object_mut().expect("object").remove("SupportsUpdate");
        assert_eq!(names_of(&validate(&body)), ["SupportsUpdate"]);

        let mut body = full_valid_body();
        body.as_object_mut().expect("object").remove("WorkflowType");
        assert_eq!(names_of(&validate(&body)), ["WorkflowType"]);
    }

    #[test]
    fn non_object_bodies() {
        let problems = validate(&json!([1]));
        assert_eq!(problems[0].to_string(), "(body): expected object, found array");
        assert!(advise(&json!("x")).is_empty());
    }

    #[test]
    fn empty_object_reports_all_required() {
        assert_eq!(
            names_of(&validate(&json!({}))),
            ["BaseFileName", "OwnerId", "Size", "UserId", "Version"]
        );
    }

    #[test]
    fn advice_for_should_rules() {
        let mut body = full_valid_body();
        body["UserFriendlyName"] = Value::Null;
        body["HostName"] = json!("old");
        body["UserId"] = json!("domain\\user");
        body["RequestedCallThrottling"] = json!("Extreme");
        body["SupportsContainers"] = json!(true);
        body["SupportsDeleteFile"] = json!(false);
        body["FileSharingPostMessage"] = json!(true);
        body["PostMessageOrigin"] = json!("https://host.example/page");
        body.as_object_mut().expect("object").remove("CloseUrl");
        let advice = advise(&body);
        assert_eq!(
            names_of(&advice),
            [
                "UserFriendlyName",
                "HostName",
                "UserId",
                "RequestedCallThrottling",
                "SupportsDeleteFile",
                "CloseUrl",
                "FileSharingUrl",
                "PostMessageOrigin"
            ],
            "{advice:?}"
        );
        // None of these is a requirement violation.
        assert!(validate(&body).is_empty(), "{:?}", validate(&body));
    }
}
