//! The content of a CSPP Plus stream as the validator builds it from a suite, cut into chunks by a chunking
//! scheme (cspp-plus.md §4.3, §4.4; V:Requests/PutChunkedFileRequest.cs, GetChunkedFileRequest.cs,
//! V:Validators/FramesValidator.cs):
//!
//! - **FullFile** takes inline text (`NewContent`, `LastKnownHostContent`, `AlreadyExistingContent`,
//!   `ExpectedContent`), UTF-8, as one chunk; empty text has no chunk. Resource ids are not read.
//! - **Zip** takes a resource (`…ContentResourceId`): `ZeroByteOfficeDocument` (no name, no path) is empty; a
//!   fixture resource (`FilePath="Microsoft.Office.WopiValidator.Core.Resources.ZipChunking.<Doc>.Version<n>.
//!   <Main|Alt>Content."`) is the `FileStream` file of that fixture, read at run time from the validator
//!   directory (never copied into the project) and cut by [`wopi_protocol::cspp::chunking::zip`]. When the
//!   fixture's `ChunkIds.txt` (the offsets the validator cuts at) is there too, the two cuts must agree. Inline
//!   text is not read.
//!
//! The validator throws (and aborts the run) where this module returns a [`ContentError`]: the case fails with it.

use std::path::{Path, PathBuf};

use wopi_protocol::cspp::chunking::{self, ChunkingScheme, ZipError};

use super::{Resource, Suite, validator_dir};

/// Why a stream's content cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// FullFile without inline text.
    #[error("the FullFile scheme chunks inline text, and none is given (the validator reads no resource for it)")]
    NoText,
    /// Zip without a resource id.
    #[error(
        "the Zip scheme chunks a resource, and no resource id is given (the validator reads no inline text for it)"
    )]
    NoResource,
    /// The id is not in `<Resources>`.
    #[error("resource '{0}' is not declared in <Resources>")]
    UnknownResource(String),
    /// A resource that is neither the empty document nor a Zip chunking fixture.
    #[error(
        "resource '{id}' (FilePath \"{file_path}\") is not a Zip chunking fixture: its FilePath does not start with {}",
        Resource::ZIP_FIXTURE_PREFIX
    )]
    NotAFixture {
        /// The resource.
        id: String,
        /// Its FilePath.
        file_path: String,
    },
    /// The fixture file is in none of the places looked at.
    #[error(
        "the Zip chunking fixture of resource '{id}' was not found; looked for {}",
        list(looked)
    )]
    FixtureMissing {
        /// The resource.
        id: String,
        /// Every path tried.
        looked: Vec<PathBuf>,
    },
    /// The fixture exists but cannot be read.
    #[error("cannot read {}: {error}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: String,
    },
    /// The fixture is not a zip archive the Zip rule can cut.
    #[error("{} cannot be cut by the Zip scheme: {error}", path.display())]
    NotZip {
        /// The file.
        path: PathBuf,
        /// Why.
        error: ZipError,
    },
    /// `ChunkIds.txt` cuts the file elsewhere than the Zip rule.
    #[error("{} says the chunks start at {listed:?}, the Zip rule cuts at {computed:?}", path.display())]
    OffsetsDisagree {
        /// The ChunkIds.txt file.
        path: PathBuf,
        /// Its offsets.
        listed: Vec<usize>,
        /// The Zip rule's.
        computed: Vec<usize>,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A stream's bytes and where its chunks start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content {
    bytes: Vec<u8>,
    starts: Vec<usize>,
}

impl Content {
    /// FullFile: the whole text as one chunk, none when empty.
    pub fn full_file(bytes: Vec<u8>) -> Content {
        let starts = chunking::full_file(&bytes).iter().map(|_| 0).collect();
        Content { bytes, starts }
    }

    /// Zip: the bytes cut by the Zip rule.
    pub fn zip(bytes: Vec<u8>) -> Result<Content, ZipError> {
        let starts = chunking::zip_chunk_offsets(&bytes)?;
        Ok(Content { bytes, starts })
    }

    /// All the bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The chunks, in order (a chunk may repeat).
    pub fn chunks(&self) -> Vec<&[u8]> {
        self.starts
            .iter()
            .enumerate()
            .map(|(i, &s)| &self.bytes[s..self.starts.get(i + 1).copied().unwrap_or(self.bytes.len())])
            .collect()
    }
}

/// The content of a stream for `scheme`, from inline `text` (FullFile) or the resource `resource_id` (Zip).
pub fn stream_content(
    suite: &Suite,
    scheme: ChunkingScheme,
    text: Option<&str>,
    resource_id: Option<&str>,
) -> Result<Content, ContentError> {
    match scheme {
        ChunkingScheme::FullFile => {
            let text = text.ok_or(ContentError::NoText)?;
            Ok(Content::full_file(text.as_bytes().to_vec()))
        }
        ChunkingScheme::Zip => {
            let id = resource_id.ok_or(ContentError::NoResource)?;
            let r = suite
                .resource(id)
                .ok_or_else(|| ContentError::UnknownResource(id.to_string()))?;
            zip_resource(r, &fixture_roots(suite))
        }
    }
}

/// Where fixtures are looked for: the directory of the suite file (the validator directory when the suite is
/// its TestCases.xml, wherever `--validator-suite` points), then the run's validator directory
/// (`WOPI_VALIDATOR_DIR`, else `../shared/validator`).
pub fn fixture_roots(suite: &Suite) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(dir) = suite.path.parent() {
        roots.push(if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.to_path_buf()
        });
    }
    let v = validator_dir();
    if !roots.contains(&v) {
        roots.push(v);
    }
    roots
}

/// A Zip resource's content, its fixture looked for under each of `roots` in turn.
pub fn zip_resource(r: &Resource, roots: &[PathBuf]) -> Result<Content, ContentError> {
    if r.is_empty_document() {
        return Ok(Content::default());
    }
    let rel = r.zip_fixture_dir().ok_or_else(|| ContentError::NotAFixture {
        id: r.id.clone(),
        file_path: r.file_path.clone(),
    })?;
    let looked: Vec<PathBuf> = roots.iter().map(|root| root.join(&rel).join("FileStream")).collect();
    let Some(path) = looked.iter().find(|p| p.is_file()) else {
        return Err(ContentError::FixtureMissing {
            id: r.id.clone(),
            looked,
        });
    };
    let unreadable = |path: &Path, e: std::io::Error| ContentError::Unreadable {
        path: path.to_path_buf(),
        error: e.to_string(),
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, e))?;
    let content = Content::zip(bytes).map_err(|error| ContentError::NotZip {
        path: path.clone(),
        error,
    })?;
    // The validator cuts at ChunkIds.txt; the Zip rule reproduces it for every upstream fixture, and a
    // different validator version must not be judged with a different cut.
    let ids = path.with_file_name("ChunkIds.txt");
    if ids.is_file() {
        let text = std::fs::read_to_string(&ids).map_err(|e| unreadable(&ids, e))?;
        let listed: Vec<usize> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
        if listed != content.starts {
            return Err(ContentError::OffsetsDisagree {
                path: ids,
                listed,
                computed: content.starts,
            });
        }
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wopi_protocol::cspp::spooky::ChunkId;

    fn resource(id: &str, name: &str, file_path: &str) -> Resource {
        Resource {
            id: id.into(),
            name: name.into(),
            file_path: file_path.into(),
        }
    }

    fn excel(which: &str) -> Resource {
        resource(
            &format!("NonZeroByteExcel_{which}"),
            "ChunkIds.txt",
            &format!(
                "Microsoft.Office.WopiValidator.Core.Resources.ZipChunking.NonZeroByteExcel.{}.",
                match which {
                    "Main_V1" => "Version1.MainContent",
                    "Alt_V1" => "Version1.AltContent",
                    _ => "Version2.MainContent",
                }
            ),
        )
    }

    /// cspp-plus.md §4.4: Excel V1 Main is 8524 bytes in 21 chunks, first `DeXAW001…` (569), last `5R2NpDek…` (662).
    #[test]
    fn excel_fixture_is_read_in_place_and_cut_by_the_zip_rule() {
        let c = zip_resource(&excel("Main_V1"), &[validator_dir()]).expect("fixture");
        assert_eq!(c.bytes().len(), 8524);
        let chunks = c.chunks();
        assert_eq!(chunks.len(), 21);
        assert_eq!(ChunkId::of(chunks[0]).to_string(), "DeXAW001MP4l5elGXDn28g==");
        assert_eq!(chunks[0].len(), 569);
        assert_eq!(ChunkId::of(chunks[20]).to_string(), "5R2NpDek+YvE4R/a0Lhfpw==");
        assert_eq!(chunks[20].len(), 662);
        assert_eq!(chunks.concat(), c.bytes());
    }

    #[test]
    fn a_missing_fixture_says_where_it_was_looked_for() {
        let roots = [PathBuf::from("/nonexistent/a"), PathBuf::from("/nonexistent/b")];
        let e = zip_resource(&excel("Main_V1"), &roots).expect_err("missing");
        let msg = e.to_string();
        assert!(
            msg.contains("/nonexistent/a/Resources/ZipChunking/NonZeroByteExcel/Version1/MainContent/FileStream")
                && msg.contains("/nonexistent/b/Resources/ZipChunking"),
            "{msg}"
        );
        assert!(msg.contains("NonZeroByteExcel_Main_V1"), "{msg}");
    }

    #[test]
    fn the_empty_document_and_non_fixtures() {
        let empty = resource("ZeroByteOfficeDocument", "", "");
        assert_eq!(zip_resource(&empty, &[]).expect("empty").chunks().len(), 0);
        let doc = resource(
            "WordSimpleDocument",
            "WordSimpleDocument.docx",
            "Resources\\WordSimpleDocument.docx",
        );
        assert!(matches!(
            zip_resource(&doc, &[validator_dir()]),
            Err(ContentError::NotAFixture { .. })
        ));
        // A FilePath that would climb out of the validator directory is not a fixture.
        let sneaky = resource(
            "X",
            "ChunkIds.txt",
            "Microsoft.Office.WopiValidator.Core.Resources.ZipChunking../../etc.",
        );
        assert!(matches!(
            zip_resource(&sneaky, &[validator_dir()]),
            Err(ContentError::NotAFixture { .. })
        ));
    }

    #[test]
    fn a_disagreeing_chunk_ids_txt_is_an_error() {
        let dir = std::env::temp_dir().join(format!("wopi-content-{}", std::process::id()));
        let fixture = dir.join("Resources/ZipChunking/NonZeroByteExcel/Version1/MainContent");
        std::fs::create_dir_all(&fixture).expect("mkdir");
        let real = validator_dir().join("Resources/ZipChunking/NonZeroByteExcel/Version1/MainContent/FileStream");
        std::fs::copy(&real, fixture.join("FileStream")).expect("copy to temp");
        std::fs::write(fixture.join("ChunkIds.txt"), "0\n100\n").expect("write");
        let e = zip_resource(&excel("Main_V1"), std::slice::from_ref(&dir)).expect_err("disagree");
        assert!(matches!(e, ContentError::OffsetsDisagree { .. }), "{e}");
        std::fs::write(fixture.join("FileStream"), b"not a zip").expect("write");
        let e = zip_resource(&excel("Main_V1"), std::slice::from_ref(&dir)).expect_err("not zip");
        assert!(matches!(e, ContentError::NotZip { .. }), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn full_file_is_one_chunk_of_the_text() {
        let c = Content::full_file(b"SampleTextVersion-1".to_vec());
        assert_eq!(c.chunks(), vec![&b"SampleTextVersion-1"[..]]);
        assert!(Content::full_file(Vec::new()).chunks().is_empty());
    }
}
