//! The one match from a parsed [`RequestKind`] to its module's headers and body.

use super::wire::{BuildError, Wire};
use super::*;
use crate::suite::RequestKind;

/// Writes the element's own headers and body.
pub fn send(kind: &RequestKind, w: &mut Wire) -> Result<(), BuildError> {
    use RequestKind as K;
    match kind {
        K::GetFile { new_lock, .. } => get_file::send(new_lock.as_deref(), w),
        K::PutFile { lock, resource_id } => put_file::send(lock.as_deref(), resource_id, w)?,
        K::PutRelativeFile {
            name,
            resource_id,
            mode,
            overwrite_relative,
            overwrite_in_suggested,
        } => put_relative_file::send(
            name,
            resource_id,
            *mode,
            *overwrite_relative,
            *overwrite_in_suggested,
            w,
        )?,
        K::CreateChildFile {
            name,
            mode,
            overwrite_relative,
        } => create_child_file::send(name, *mode, *overwrite_relative, w)?,
        K::CreateChildContainer { folder_name, mode } => create_child_container::send(folder_name, *mode, w)?,
        K::Lock {
            lock,
            lock_user_visible,
        } => lock::send(lock, *lock_user_visible, w),
        K::Unlock { lock } | K::RefreshLock { lock } => lock_header::send(w, lock),
        K::UnlockAndRelock { new_lock, old_lock } => unlock_and_relock::send(new_lock, old_lock, w),
        K::PutUserInfo { body } | K::AddActivities { body } => request_body::send(body, w),
        K::RenameFile {
            name,
            lock,
            coauth_lock_id,
        } => rename_file::send(name, lock.as_deref(), coauth_lock_id.as_deref(), w),
        K::RenameContainer { name } => rename_container::send(name, w),
        K::GetShareUrl { url_type } => get_share_url::send(url_type.as_deref(), w),
        K::GetNewAccessToken { .. } => get_new_access_token::send(w),
        K::EnumerateChildren {
            file_extension_filter_list,
        } => enumerate_children::send(file_extension_filter_list.as_deref(), w),
        K::GetCoauthLock(c) | K::RefreshCoauthLock(c) => coauth_lock::send(c, w),
        K::UnlockCoauthLock { coauth_lock_id } => unlock_coauth_lock::send(coauth_lock_id, w),
        K::GetCoauthTable {
            version,
            version_state_key,
        } => get_coauth_table::send(version.as_deref(), version_state_key.as_deref(), w),
        K::GetChunkedFile {
            properties_to_return,
            filters,
        } => get_chunked_file::send(properties_to_return, filters, w)?,
        K::PutChunkedFile(p) => put_chunked_file::send(p, w)?,
        K::CheckFileInfo
        | K::GetLock
        | K::DeleteFile
        | K::CheckContainerInfo
        | K::EnumerateAncestors
        | K::GetEcosystem
        | K::GetRootContainer { .. }
        | K::CheckEcosystem { .. }
        | K::DeleteContainer
        | K::GetFromFileUrl
        | K::PutToFileUrl { .. }
        | K::GetSequenceNumber
        | K::Delay { .. } => {}
    }
    Ok(())
}
