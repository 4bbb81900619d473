//! Generated file names through PutRelativeFile and RenameFile, against the in-process reference host.
//!
//! The naming suite (`suites/naming.xml`) covers hand-picked names; this test adds names drawn from a seeded
//! generator (fixed seed and case count, so it is fast and deterministic) over every shape that trips hosts:
//! ASCII, the punctuation .NET's UTF-7 encoder base64-encodes (RFC 2152 Set O), `+`, spaces, Latin-1, Greek,
//! CJK, right-to-left scripts, combining marks and characters outside the BMP. For each name it checks the rules of
//! `rest/files/PutRelativeFile.rst` and `rest/files/RenameFile.rst` that an XML suite cannot express:
//!
//! - specific mode creates the file under the exact decoded name; the answered `Url` works with its own token
//!   (CheckFileInfo and GetFile on it), and BaseFileName is the name;
//! - the same name again conflicts (409) without overwriting, also when sent in RFC 2152's other legal UTF-7 form
//!   (Set O written directly, runs ended implicitly), so the host compares decoded names;
//! - the `X-WOPI-ValidRelativeTarget` offered on that 409 is UTF-7, a legal name, and free: retrying with it
//!   succeeds under exactly that name;
//! - suggested mode with the taken name creates another file with the same extension and touches nothing else;
//! - `X-WOPI-OverwriteRelativeTarget: true` replaces the content, and on a locked target answers 409 with the lock;
//! - RenameFile to a generated name answers the name without extension and BaseFileName is name plus extension,
//!   on the same WOPISrc.
//!
//! A failure names the seed, the case number and the name (escaped), which is enough to replay it. A last test
//! switches on each naming fault of the reference host in turn and checks that the properties break.

use bytes::Bytes;
use futures_util::FutureExt;
use http::Method;
use url::Url;
use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_mock_office::client::{ClientConfig, RawRequest, WopiClient, WopiResponse, WopiTarget};
use wopi_protocol::headers::{self as h, Override};
use wopi_protocol::names::FileName;
use wopi_protocol::utf7;
use wopi_reference_host::faults::{Fault, FaultSet};

/// Fixed seed: the same names on every run.
const SEED: u64 = 0x005E_ED0F_4E41_4D45;
/// Generated names for PutRelativeFile (each costs about a dozen signed requests).
const PUT_RELATIVE_CASES: usize = 24;
/// Generated names for RenameFile.
const RENAME_CASES: usize = 24;

/// SplitMix64: tiny, seedable, and the same on every platform.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Character classes, each a shape some host or encoder gets wrong.
const CLASSES: &[&[char]] = &[
    // Set D: written directly by every encoder.
    &['a', 'Z', 'q', '7', '0', '-', '(', ')', ',', '\''],
    // Set O without the Windows-reserved ones: base64-encoded by .NET, direct in RFC 2152's optional form.
    &[
        '!', '#', '$', '%', '&', ';', '=', '@', '[', ']', '^', '_', '`', '{', '}', '~',
    ],
    // The UTF-7 shift character itself.
    &['+'],
    &[' '],
    // Latin-1 and other BMP letters.
    &['é', 'ü', 'ñ', 'ß', 'Ø', 'ĳ', 'Ω', 'λ', 'Ж'],
    // CJK and right-to-left scripts.
    &['中', '文', '日', '本', 'ש', 'ל', 'م', 'ر'],
    // A combining mark: must be kept, not normalised away.
    &['\u{301}', '\u{308}'],
    // Outside the BMP: a surrogate pair in UTF-16, so in the UTF-7 run.
    &['😀', '🦀', '𝄞', '𐐷', '🚀'],
];

const EXTENSIONS: &[&str] = &["wopitest", "docx", "txt"];

/// A stem of 1..=24 generated characters after `prefix`, ending with a letter so it is never illegal for a trailing
/// dot or space.
fn stem(g: &mut Gen, prefix: &str) -> String {
    let len = 1 + g.below(24);
    let mut s = String::from(prefix);
    for _ in 0..len {
        let class = g.pick(CLASSES);
        s.push(*g.pick(class));
    }
    s.push('x');
    s
}

/// RFC 2152's other legal form of `s`: Set O (and space) written directly and a base64 run ended by the next
/// direct character itself, without `-` unless that character is a base64 letter or `-`. It decodes to the same
/// string as .NET's form ([`utf7::encode`]); a host comparing the raw header would see two different names.
fn utf7_optional_direct(s: &str) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let direct = |c: char| c.is_ascii_alphanumeric() || "'(),-./:? \t!\"#$%&*;<=>@[]^_`{|}".contains(c);
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '+' {
            out.push_str("+-");
            i += 1;
        } else if direct(c) {
            out.push(c);
            i += 1;
        } else {
            let mut units: Vec<u16> = Vec::new();
            while i < chars.len() && !direct(chars[i]) && chars[i] != '+' {
                let mut buf = [0u16; 2];
                units.extend_from_slice(chars[i].encode_utf16(&mut buf));
                i += 1;
            }
            out.push('+');
            let (mut bits, mut n) = (0u32, 0u32);
            for u in units {
                bits = (bits << 16) | u32::from(u);
                n += 16;
                while n >= 6 {
                    n -= 6;
                    out.push(char::from(B64[((bits >> n) & 0x3F) as usize]));
                }
            }
            if n > 0 {
                out.push(char::from(B64[((bits << (6 - n)) & 0x3F) as usize]));
            }
            // The run ends implicitly at a direct character that is not base64 and not '-'.
            match chars.get(i) {
                Some(&next) if !is_b64(next) && next != '-' => {}
                _ => out.push('-'),
            }
        }
    }
    out
}

struct Ctx {
    client: WopiClient,
    source: WopiTarget,
}

fn target_of(resp: &WopiResponse, what: &str) -> (String, WopiTarget) {
    let body = resp
        .json()
        .unwrap_or_else(|e| panic!("{what}: the response is not JSON: {e}"));
    let name = body["Name"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no string Name in {body}"))
        .to_owned();
    let url = body["Url"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no string Url in {body}"));
    let url = Url::parse(url).unwrap_or_else(|e| panic!("{what}: Url {url:?} is not absolute: {e}"));
    let target = WopiTarget::from_url_with_token(&url).unwrap_or_else(|| panic!("{what}: Url has no access_token"));
    (name, target)
}

impl Ctx {
    async fn put_relative_raw(&self, header: &str, value: &str, overwrite: Option<bool>, body: &[u8]) -> WopiResponse {
        let mut req = RawRequest::to_target("PutRelativeFile", Method::POST, &self.source, "")
            .override_op(Override::PutRelative)
            .header(header, value)
            .header(h::X_WOPI_SIZE, body.len().to_string())
            .body(Bytes::copy_from_slice(body));
        if let Some(o) = overwrite {
            req = req.header(h::X_WOPI_OVERWRITE_RELATIVE_TARGET, wopi_protocol::dotnet::bool_str(o));
        }
        self.client.send(req).await.expect("PutRelativeFile answered")
    }

    async fn base_file_name(&self, t: &WopiTarget, what: &str) -> String {
        let r = self.client.check_file_info(t).await.expect("CheckFileInfo answered");
        assert_eq!(
            r.status, 200,
            "{what}: CheckFileInfo on the answered Url (with its own token)"
        );
        let v = r.json().expect("CheckFileInfo JSON");
        v["BaseFileName"].as_str().expect("BaseFileName").to_owned()
    }

    async fn content(&self, t: &WopiTarget, what: &str) -> Bytes {
        let r = self.client.get_file(t, None).await.expect("GetFile answered");
        assert_eq!(r.status, 200, "{what}: GetFile on the answered Url");
        r.body
    }
}

async fn start(faults: FaultSet) -> (EmbeddedTarget, Ctx) {
    let host = EmbeddedTarget::start(EmbeddedOptions {
        faults,
        ..EmbeddedOptions::default()
    })
    .await
    .expect("embedded host starts");
    let client = host.mock().client(ClientConfig::default()).expect("client");
    let file = host.provisioner().fresh_file().await.expect("fresh file");
    let source = WopiTarget::new(Url::parse(&file.wopisrc).expect("WOPISrc"), file.access_token);
    (host, Ctx { client, source })
}

#[test]
fn the_optional_direct_form_decodes_to_the_same_name() {
    let mut g = Gen(SEED);
    for i in 0..200 {
        let name = format!("{}.{}", stem(&mut g, "n-"), g.pick(EXTENSIONS));
        let alt = utf7_optional_direct(&name);
        assert_eq!(
            utf7::decode(&alt).as_deref(),
            Ok(name.as_str()),
            "#{i}: {name:?} as {alt:?}"
        );
        assert_eq!(
            utf7::decode(&utf7::encode(&name)).as_deref(),
            Ok(name.as_str()),
            "#{i}: {name:?}"
        );
        assert!(
            FileName::new(name.as_str()).is_ok(),
            "generated names are legal: {name:?}"
        );
    }
    // The two forms do differ where it matters (Set O direct, implicit run end).
    assert_eq!(utf7_optional_direct("a_b.é."), "a_b.+AOk.");
    assert_eq!(utf7::encode("a_b.é."), "a+AF8-b.+AOk-.");
}

/// The PutRelativeFile properties over `cases` generated names; panics with the first broken one. Returns how many
/// names also went through their second UTF-7 form.
async fn check_put_relative(ctx: &Ctx, cases: usize) -> usize {
    let mut g = Gen(SEED);
    let (body_a, body_b) = (b"naming-content-A".as_slice(), b"naming-content-B!".as_slice());
    let mut alt_forms_checked = 0;
    for i in 0..cases {
        let ext = *g.pick(EXTENSIONS);
        let name = format!("{}.{ext}", stem(&mut g, &format!("ours-gen-{i}-")));
        let what = format!("seed {SEED:#x} case #{i} name {name:?}");

        // Specific mode: the exact decoded name, a working Url, the body.
        let r = ctx
            .put_relative_raw(h::X_WOPI_RELATIVE_TARGET, &utf7::encode(&name), Some(false), body_a)
            .await;
        assert_eq!(r.status, 200, "{what}: PutRelativeFile (specific)");
        let (answered, first) = target_of(&r, &what);
        assert_eq!(answered, name, "{what}: response Name is the decoded name");
        assert_eq!(ctx.base_file_name(&first, &what).await, name, "{what}: BaseFileName");
        assert_eq!(
            &ctx.content(&first, &what).await[..],
            body_a,
            "{what}: content of the new file"
        );

        // The same name again: 409, in either UTF-7 form, and nothing overwritten.
        let r = ctx
            .put_relative_raw(h::X_WOPI_RELATIVE_TARGET, &utf7::encode(&name), None, body_b)
            .await;
        assert_eq!(r.status, 409, "{what}: the taken name without the overwrite header");
        let alt = utf7_optional_direct(&name);
        if alt != utf7::encode(&name) {
            alt_forms_checked += 1;
            let r = ctx
                .put_relative_raw(h::X_WOPI_RELATIVE_TARGET, &alt, Some(false), body_b)
                .await;
            assert_eq!(
                r.status, 409,
                "{what}: the taken name in RFC 2152's other UTF-7 form {alt:?} is the same name"
            );
        }
        assert_eq!(&ctx.content(&first, &what).await[..], body_a, "{what}: not overwritten");

        // X-WOPI-ValidRelativeTarget: UTF-7, legal, free.
        let r = ctx
            .put_relative_raw(h::X_WOPI_RELATIVE_TARGET, &utf7::encode(&name), Some(false), body_b)
            .await;
        assert_eq!(r.status, 409, "{what}");
        let offered = r
            .header(h::X_WOPI_VALID_RELATIVE_TARGET)
            .unwrap_or_else(|| panic!("{what}: the reference host offers X-WOPI-ValidRelativeTarget"));
        let valid = utf7::decode(offered).unwrap_or_else(|e| panic!("{what}: {offered:?} is not UTF-7: {e}"));
        assert_ne!(valid, name, "{what}: the offered name is not the taken one");
        assert!(
            FileName::new(valid.as_str()).is_ok(),
            "{what}: offered {valid:?} is legal"
        );
        let r = ctx
            .put_relative_raw(h::X_WOPI_RELATIVE_TARGET, &utf7::encode(&valid), Some(false), body_b)
            .await;
        assert_eq!(
            r.status, 200,
            "{what}: retrying with the offered {valid:?} succeeds (it was free)"
        );
        let (retried, retried_target) = target_of(&r, &what);
        assert_eq!(retried, valid, "{what}: the retry keeps the offered name");
        assert_eq!(&ctx.content(&retried_target, &what).await[..], body_b, "{what}");

        // Suggested mode on the taken name: a new name with the same extension, nothing else touched.
        let r = ctx
            .put_relative_raw(h::X_WOPI_SUGGESTED_TARGET, &utf7::encode(&name), None, body_b)
            .await;
        assert_eq!(r.status, 200, "{what}: suggested mode never answers 400/409");
        let (suggested, suggested_target) = target_of(&r, &what);
        assert_ne!(suggested, name, "{what}: suggested mode does not reuse the taken name");
        assert_ne!(suggested, valid, "{what}: nor the name the retry just took");
        assert!(
            suggested.ends_with(&format!(".{ext}")),
            "{what}: {suggested:?} keeps .{ext}"
        );
        assert_eq!(ctx.base_file_name(&suggested_target, &what).await, suggested, "{what}");
        assert_eq!(
            &ctx.content(&first, &what).await[..],
            body_a,
            "{what}: suggested mode overwrote"
        );

        // Overwrite on a locked target: 409 with the lock; unlocked: replaced.
        if i % 3 == 0 {
            let lock = format!("gen-lock-{i}");
            assert_eq!(
                ctx.client.lock(&first, &lock).await.expect("Lock").status,
                200,
                "{what}"
            );
            let r = ctx
                .put_relative_raw(h::X_WOPI_RELATIVE_TARGET, &utf7::encode(&name), Some(true), body_b)
                .await;
            assert_eq!(r.status, 409, "{what}: overwrite of a locked target");
            assert_eq!(
                r.header(h::X_WOPI_LOCK),
                Some(lock.as_str()),
                "{what}: X-WOPI-Lock is the lock"
            );
            assert_eq!(
                &ctx.content(&first, &what).await[..],
                body_a,
                "{what}: locked target kept"
            );
            assert_eq!(
                ctx.client.unlock(&first, &lock).await.expect("Unlock").status,
                200,
                "{what}"
            );
        }
        let r = ctx
            .put_relative_raw(h::X_WOPI_RELATIVE_TARGET, &utf7::encode(&name), Some(true), body_b)
            .await;
        assert_eq!(r.status, 200, "{what}: overwrite=true on an unlocked target");
        let (replaced, replaced_target) = target_of(&r, &what);
        assert_eq!(replaced, name, "{what}: overwrite keeps the exact name");
        assert_eq!(
            &ctx.content(&replaced_target, &what).await[..],
            body_b,
            "{what}: replaced"
        );
    }
    alt_forms_checked
}

/// The RenameFile properties over `cases` generated names; panics with the first broken one.
async fn check_rename(ctx: &Ctx, cases: usize) {
    let mut g = Gen(SEED ^ 0xA5A5);
    let r = ctx
        .put_relative_raw(
            h::X_WOPI_SUGGESTED_TARGET,
            &utf7::encode("ours-gen-rename.wopitest"),
            None,
            b"rename-me",
        )
        .await;
    assert_eq!(r.status, 200, "the file to rename");
    let (_, file) = target_of(&r, "rename source");
    for i in 0..cases {
        let requested = stem(&mut g, &format!("ours-genr-{i}-"));
        let what = format!("seed {:#x} rename #{i} name {requested:?}", SEED ^ 0xA5A5);
        let r = ctx
            .client
            .rename_file(&file, &requested, None)
            .await
            .expect("RenameFile answered");
        assert_eq!(r.status, 200, "{what}: RenameFile");
        let body = r.json().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            body["Name"].as_str(),
            Some(requested.as_str()),
            "{what}: Name is the decoded name without extension"
        );
        assert_eq!(
            ctx.base_file_name(&file, &what).await,
            format!("{requested}.wopitest"),
            "{what}: BaseFileName on the same WOPISrc keeps the extension"
        );
    }
    assert_eq!(&ctx.content(&file, "after renames").await[..], b"rename-me");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_names_through_put_relative_file() {
    let (host, ctx) = start(FaultSet::none()).await;
    let alt_forms_checked = check_put_relative(&ctx, PUT_RELATIVE_CASES).await;
    host.shutdown().await;
    assert!(
        alt_forms_checked >= PUT_RELATIVE_CASES / 2,
        "the generator should give most names a second UTF-7 form ({alt_forms_checked})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_names_through_rename_file() {
    let (host, ctx) = start(FaultSet::none()).await;
    check_rename(&ctx, RENAME_CASES).await;
    host.shutdown().await;
}

/// The properties catch each naming fault of the reference host (so they are not true of any host): with the
/// fault on, the first few generated names already break a property.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_naming_fault_breaks_a_property() {
    let put_relative_faults = [
        Fault::RelativeNameNotDecoded,
        Fault::RelativeOverwritesWithoutFlag,
        Fault::SuggestedModeOverwrites,
        Fault::NoValidRelativeTarget,
        Fault::OverwriteFlagIgnored,
        Fault::RelativeBodyIgnored,
        Fault::RelativeUrlWithoutToken,
    ];
    let rename_faults = [Fault::RenameNameWithExtension];
    for (fault, rename) in put_relative_faults
        .iter()
        .map(|f| (*f, false))
        .chain(rename_faults.iter().map(|f| (*f, true)))
    {
        let (host, ctx) = start(FaultSet::none().with(fault)).await;
        let run = async {
            if rename {
                check_rename(&ctx, 4).await;
            } else {
                check_put_relative(&ctx, 4).await;
            }
        };
        let caught = std::panic::AssertUnwindSafe(run).catch_unwind().await.is_err();
        host.shutdown().await;
        assert!(caught, "{}: every generated-name property held", fault.name());
    }
}
