//! wopi-mock-office
