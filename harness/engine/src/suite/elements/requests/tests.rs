//! The element table against the suite model and the addressing the validator uses.

use wopi_protocol::ops::Op;

use super::*;

/// Method, path suffix and override of every element as the validator sends it (validator-semantics.md §2.2),
/// written out independently of the catalogue.
const VALIDATOR_SHAPES: &[(&str, &str, &str, Option<&str>)] = &[
    ("CheckFileInfo", "GET", "", None),
    ("GetFile", "GET", "/contents", None),
    ("PutFile", "POST", "/contents", Some("PUT")),
    ("PutRelativeFile", "POST", "", Some("PUT_RELATIVE")),
    ("Lock", "POST", "", Some("LOCK")),
    ("Unlock", "POST", "", Some("UNLOCK")),
    ("RefreshLock", "POST", "", Some("REFRESH_LOCK")),
    ("UnlockAndRelock", "POST", "", Some("LOCK")),
    ("GetLock", "POST", "", Some("GET_LOCK")),
    ("PutUserInfo", "POST", "", Some("PUT_USER_INFO")),
    ("AddActivities", "POST", "", Some("ADD_ACTIVITIES")),
    ("DeleteFile", "POST", "", Some("DELETE")),
    ("RenameFile", "POST", "", Some("RENAME_FILE")),
    ("GetShareUrl", "POST", "", Some("GET_SHARE_URL")),
    ("GetNewAccessToken", "POST", "", Some("GET_NEW_ACCESS_TOKEN")),
    ("CheckContainerInfo", "GET", "", None),
    ("EnumerateChildren", "GET", "/children", None),
    ("EnumerateAncestors", "GET", "/ancestry", None),
    ("GetEcosystem", "GET", "/ecosystem_pointer", None),
    ("GetRootContainer", "GET", "/root_container_pointer", None),
    ("CheckEcosystem", "GET", "", None),
    ("CreateChildContainer", "POST", "", Some("CREATE_CHILD_CONTAINER")),
    ("CreateChildFile", "POST", "", Some("CREATE_CHILD_FILE")),
    ("DeleteContainer", "POST", "", Some("DELETE_CONTAINER")),
    ("RenameContainer", "POST", "", Some("RENAME_CONTAINER")),
    ("GetCoauthLock", "POST", "", Some("GET_COAUTH_LOCK")),
    ("RefreshCoauthLock", "POST", "", Some("REFRESH_COAUTH_LOCK")),
    ("UnlockCoauthLock", "POST", "", Some("UNLOCK_COAUTH_LOCK")),
    ("GetCoauthTable", "POST", "", Some("GET_COAUTH_TABLE")),
    ("GetChunkedFile", "POST", "", Some("GET_CHUNKED_FILE")),
    ("PutChunkedFile", "POST", "/contents", Some("PUT_CHUNKED_FILE")),
    ("GetSequenceNumber", "POST", "", Some("GET_SEQUENCE_NUMBER")),
];

#[test]
fn catalogue_addresses_every_element_as_the_validator_does() {
    for (name, method, suffix, override_op) in VALIDATOR_SHAPES {
        let element = lookup(name).unwrap_or_else(|| panic!("{name} has no module"));
        let Address::Op(op) = element.address else {
            panic!("{name} is addressed outside the catalogue");
        };
        let spec = op.spec();
        assert_eq!(op, Op::from_name(name).unwrap(), "{name}");
        assert_eq!(spec.method.as_str(), *method, "{name}");
        assert_eq!(spec.path.suffix(), *suffix, "{name}");
        assert_eq!(spec.override_op.map(|o| o.as_str()), *override_op, "{name}");
    }
}

#[test]
fn only_the_validators_own_elements_are_outside_the_catalogue() {
    let outside: Vec<&str> = names()
        .filter(|n| !matches!(lookup(n).map(|e| e.address), Some(Address::Op(_))))
        .collect();
    assert_eq!(outside, ["GetFromFileUrl", "PutToFileUrl", "Delay"]);
    assert_eq!(lookup("GetFromFileUrl").map(|e| e.address), Some(Address::FileUrl));
}

#[test]
fn every_element_name_is_unique_and_checkfile_is_checkfileinfo() {
    let all: Vec<&str> = names().collect();
    for n in &all {
        assert_eq!(all.iter().filter(|m| *m == n).count(), 1, "{n}");
    }
    assert_eq!(all.len(), 36);
    let check_file = lookup("CheckFile").unwrap();
    assert_eq!(check_file.address, Address::Op(Op::CheckFileInfo));
}

#[test]
fn every_parsed_kind_finds_its_element() {
    // The kind's name (its label) is how the runner finds the element; a miss would leave a request unsendable.
    let kinds = [
        RequestKind::CheckFileInfo,
        RequestKind::GetLock,
        RequestKind::GetFromFileUrl,
        RequestKind::GetSequenceNumber,
        RequestKind::Delay { seconds: None },
    ];
    for k in kinds {
        assert!(lookup(k.name()).is_some(), "{}", k.name());
    }
    for n in names().filter(|n| *n != "CheckFile") {
        assert_eq!(lookup(n).map(|e| e.name), Some(n));
    }
    assert!(RequestKind::GetSequenceNumber.binary_response());
    assert!(!RequestKind::CheckFileInfo.binary_response());
    assert!(RequestKind::DeleteContainer.deletes());
    assert_eq!(RequestKind::GetLock.op(), Some(Op::GetLock));
    assert_eq!(RequestKind::GetFromFileUrl.op(), None);
}
