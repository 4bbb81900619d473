//! The conversions every checked string type of the crate shares (`LockId`, `FileId`, `CoauthLockId`, …): the
//! type's only way in is its checking `new`, and these impls all go through it, so no value skips the check.

/// Declares `struct $name(String)` (Debug, Clone, Eq, serde through the check, plus any derives given) whose
/// `fn new(impl Into<String>) -> Result<Self, $err>` the caller writes, and gives it `as_str`, `Display`,
/// `AsRef<str>`, `FromStr`, `TryFrom<String>` (which serde's `try_from = "String"` uses) and `From<$name> for
/// String`.
macro_rules! checked_string {
    ($(#[$meta:meta])* $vis:vis struct $name:ident(String): $err:ty;) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        $vis struct $name(String);

        impl $name {
            /// The text, exactly as checked.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

pub(crate) use checked_string;
