//! The content of a stream, given inline or by resource, cut into chunks as a chunking scheme does.

use crate::suite::{Resource, Suite};

/// Why content cannot be chunked here.
pub const ZIP_FIXTURES_UNAVAILABLE: &str =
    "the Zip chunking scheme needs the validator's embedded chunk fixtures, which are not available to this harness";

/// The chunks of a stream's content: FullFile is one chunk (none when empty).
pub fn full_file_chunks(content: &[u8]) -> Vec<Vec<u8>> {
    if content.is_empty() {
        Vec::new()
    } else {
        vec![content.to_vec()]
    }
}

/// Content given inline or by resource id, chunked for `scheme`. Zip fixtures are unavailable (an error);
/// the empty Zip document (`ZeroByteOfficeDocument`) has no chunks.
pub fn content_chunks(
    suite: &Suite,
    scheme: &str,
    text: Option<&str>,
    resource_id: Option<&str>,
) -> Result<Vec<Vec<u8>>, String> {
    if let Some(t) = text {
        if scheme == "Zip" && !t.is_empty() {
            return Err(ZIP_FIXTURES_UNAVAILABLE.into());
        }
        return Ok(full_file_chunks(t.as_bytes()));
    }
    let Some(id) = resource_id else { return Ok(Vec::new()) };
    let r: &Resource = suite
        .resource(id)
        .ok_or_else(|| format!("resource '{id}' is not declared"))?;
    if r.file_path
        .starts_with("Microsoft.Office.WopiValidator.Core.Resources.ZipChunking")
    {
        return Err(ZIP_FIXTURES_UNAVAILABLE.into());
    }
    Ok(full_file_chunks(&r.bytes()))
}
