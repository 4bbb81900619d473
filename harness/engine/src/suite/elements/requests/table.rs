//! The one table from element name to module, and what a parsed [`RequestKind`] learns from it.

use wopi_protocol::ops::Op;

use super::*;

/// Every request element, in the order messages list them (plus `CheckFile`, FeatureTestCases' alias of
/// CheckFileInfo).
const ELEMENTS: &[Element] = &[
    check_file_info::ELEMENT,
    check_file_info::CHECK_FILE,
    get_file::ELEMENT,
    put_file::ELEMENT,
    put_relative_file::ELEMENT,
    lock::ELEMENT,
    unlock::ELEMENT,
    refresh_lock::ELEMENT,
    unlock_and_relock::ELEMENT,
    get_lock::ELEMENT,
    put_user_info::ELEMENT,
    add_activities::ELEMENT,
    delete_file::ELEMENT,
    rename_file::ELEMENT,
    get_share_url::ELEMENT,
    get_new_access_token::ELEMENT,
    check_container_info::ELEMENT,
    enumerate_children::ELEMENT,
    enumerate_ancestors::ELEMENT,
    get_ecosystem::ELEMENT,
    get_root_container::ELEMENT,
    check_ecosystem::ELEMENT,
    create_child_container::ELEMENT,
    create_child_file::ELEMENT,
    delete_container::ELEMENT,
    rename_container::ELEMENT,
    get_from_file_url::ELEMENT,
    put_to_file_url::ELEMENT,
    get_coauth_lock::ELEMENT,
    refresh_coauth_lock::ELEMENT,
    unlock_coauth_lock::ELEMENT,
    get_coauth_table::ELEMENT,
    get_chunked_file::ELEMENT,
    put_chunked_file::ELEMENT,
    get_sequence_number::ELEMENT,
    delay::ELEMENT,
];

/// The element named `name`.
pub(crate) fn lookup(name: &str) -> Option<&'static Element> {
    ELEMENTS.iter().find(|e| e.name == name)
}

/// Every request element name.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    ELEMENTS.iter().map(|e| e.name)
}

impl RequestKind {
    /// The element's module entry (every variant has one: tested).
    fn element(&self) -> Option<&'static Element> {
        lookup(self.name())
    }

    /// How the request is addressed.
    pub fn address(&self) -> Address {
        self.element()
            .map_or(Address::NotSent("the element has no module"), |e| e.address)
    }

    /// Whether the request deletes what it addresses (it then needs an `OverrideUrl`).
    pub fn deletes(&self) -> bool {
        self.element().is_some_and(|e| e.deletes)
    }

    /// The catalogue operation the element sends, if it is one.
    pub fn op(&self) -> Option<Op> {
        match self.address() {
            Address::Op(op) => Some(op),
            Address::FileUrl | Address::NotSent(_) => None,
        }
    }

    /// Responses the engine treats as binary: their body is never JSON text.
    pub fn binary_response(&self) -> bool {
        self.element().is_some_and(|e| e.binary_response)
    }
}
