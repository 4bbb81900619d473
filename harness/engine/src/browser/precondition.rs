//! What must have happened on a host page before a browser check's verdict means anything (issue 16).
//!
//! A check that cannot observe its rule must never pass: a page whose form uses GET never lets the frame open its
//! WOPI session, so CheckFileInfo's `*PostMessage` properties are unknown and "the page ignored UI_Sharing" says
//! nothing. Each [`super::Check`] lists its [`Precondition`]s ([`super::Check::preconditions`]); the runner
//! establishes them in order before the check runs, and the first one that is not met ends the step with a
//! [`PreconditionFailure`] (reason text starting [`PRECONDITION_NOT_MET`]), never a pass. This module is the one
//! place that decides it.

use std::time::{Duration, Instant};

use super::page::{PageError, PageSession};

/// How every precondition failure's reason starts, so reports and tools can tell it from a broken rule.
pub const PRECONDITION_NOT_MET: &str = "precondition not met: ";

/// After the frame posted a message, how long the page has to receive it before it never will (delivery on one
/// machine takes milliseconds; the rest is margin for a loaded CI box).
const DELIVERY_GRACE: Duration = Duration::from_secs(3);

/// One thing a check needs to have happened, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precondition {
    /// The host page loaded and a request from it reached an action URL of the mock's discovery.
    FrameLoaded,
    /// The host page's form reached the frame by POST (`hostpage.rst`).
    FormPosted,
    /// The frame received a WOPISrc and an access token and called CheckFileInfo with them.
    SessionOpened,
    /// CheckFileInfo answered 200 with a JSON object, so its `*PostMessage` properties are known.
    CheckFileInfoRead,
    /// The frame's `App_LoadingStatus` reached the host page (the frame can talk to the page).
    LoadingStatusReceived,
    /// `Host_PostmessageReady` reached the frame from the page's origin (the page can talk to the frame; Office
    /// enables its postMessage UI only after it).
    HandshakeCompleted,
    /// The message a check made the frame post reached the host page (checked by the check itself, after the
    /// others: whether a page handles or ignores a message it never received is unknown).
    MessageDelivered,
}

impl Precondition {
    /// Every precondition, in the order they happen.
    pub const IN_ORDER: [Precondition; 7] = [
        Precondition::FrameLoaded,
        Precondition::FormPosted,
        Precondition::SessionOpened,
        Precondition::CheckFileInfoRead,
        Precondition::LoadingStatusReceived,
        Precondition::HandshakeCompleted,
        Precondition::MessageDelivered,
    ];

    /// This precondition and every one that happens before it.
    pub fn and_before(self) -> &'static [Precondition] {
        let end = Precondition::IN_ORDER
            .iter()
            .position(|p| *p == self)
            .map_or(0, |i| i + 1);
        &Precondition::IN_ORDER[..end]
    }

    /// The doc page that asks for it.
    pub fn doc(self) -> &'static str {
        match self {
            Precondition::FrameLoaded | Precondition::FormPosted | Precondition::SessionOpened => "online/hostpage.rst",
            Precondition::CheckFileInfoRead => "rest/files/CheckFileInfo.rst",
            Precondition::LoadingStatusReceived | Precondition::HandshakeCompleted | Precondition::MessageDelivered => {
                "online/scenarios/postmessage.rst"
            }
        }
    }

    /// What has to happen, as a noun phrase for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Precondition::FrameLoaded => "the host page loading the editor frame",
            Precondition::FormPosted => "the host page's form reaching the frame by POST",
            Precondition::SessionOpened => "the frame opening its WOPI session (WOPISrc and access token received)",
            Precondition::CheckFileInfoRead => "the frame reading CheckFileInfo (200, a JSON object)",
            Precondition::LoadingStatusReceived => "the frame's App_LoadingStatus reaching the host page",
            Precondition::HandshakeCompleted => "Host_PostmessageReady reaching the frame from the host page's origin",
            Precondition::MessageDelivered => "the message the frame posted reaching the host page",
        }
    }
}

/// A precondition that was not met, and what was seen instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconditionFailure {
    pub precondition: Precondition,
    /// What was seen, without the [`PRECONDITION_NOT_MET`] prefix.
    pub seen: String,
}

impl PreconditionFailure {
    /// The reason for a report: `precondition not met: <seen> (the check needs <what>)`.
    pub fn reason(&self) -> String {
        format!(
            "{PRECONDITION_NOT_MET}{} (the check needs {})",
            self.seen,
            self.precondition.describe()
        )
    }
}

/// Checks `p` on `page`, waiting at most `wait` where it is something that happens over time. `Ok(None)`: met.
/// [`Precondition::FrameLoaded`] is established by opening the page ([`PageSession::open`]), so it is met here.
pub async fn establish(
    page: &PageSession<'_>,
    p: Precondition,
    wait: Duration,
) -> Result<Option<PreconditionFailure>, PageError> {
    let unmet = |seen: String| Ok(Some(PreconditionFailure { precondition: p, seen }));
    match p {
        // Established by opening the page and by the checks themselves.
        Precondition::FrameLoaded | Precondition::MessageDelivered => Ok(None),
        Precondition::FormPosted => {
            let f = page.frame().await?;
            if f.method == "POST" {
                Ok(None)
            } else {
                unmet(format!(
                    "the frame was loaded by {} (form fields reached it in the URL: {}), so it cannot open the file \
                     as Office would",
                    f.method,
                    names(&f.query)
                ))
            }
        }
        Precondition::SessionOpened => {
            let f = page.frame().await?;
            if f.check_file_info.is_some() {
                return Ok(None);
            }
            let why = match (&f.wopisrc, f.token_source.as_str()) {
                (None, _) => "the action URL reached the frame without WOPISrc".to_string(),
                (Some(_), "none") => "no access_token reached the frame".to_string(),
                (Some(src), _) => format!("WOPISrc {src:?} is not a URL the frame can call"),
            };
            unmet(why)
        }
        Precondition::CheckFileInfoRead => {
            let f = page.frame().await?;
            match &f.check_file_info {
                Some(c) if c.error.is_none() => Ok(None),
                Some(c) => unmet(c.error.clone().unwrap_or_default()),
                None => unmet("the frame never called CheckFileInfo".into()),
            }
        }
        Precondition::LoadingStatusReceived => loading_status_received(page, wait).await,
        Precondition::HandshakeCompleted => {
            let deadline = Instant::now() + wait;
            loop {
                let f = page.frame().await?;
                if f.host_ready {
                    return Ok(None);
                }
                if Instant::now() >= deadline {
                    let seen: Vec<String> = f
                        .received
                        .iter()
                        .map(|m| {
                            format!(
                                "{} from {}",
                                m.message_id.as_deref().unwrap_or("(not a WOPI message)"),
                                m.origin
                            )
                        })
                        .collect();
                    return unmet(format!(
                        "within {wait:?} no Host_PostmessageReady reached the frame from {} (the frame received: {})",
                        page.host_origin,
                        if seen.is_empty() {
                            "nothing".to_string()
                        } else {
                            seen.join(", ")
                        }
                    ));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Met once the page received `App_LoadingStatus` from the frame; unmet as soon as it is clear it never will (no
/// usable PostMessageOrigin, or posted [`DELIVERY_GRACE`] ago and not arrived), or after `wait`.
async fn loading_status_received(
    page: &PageSession<'_>,
    wait: Duration,
) -> Result<Option<PreconditionFailure>, PageError> {
    let p = Precondition::LoadingStatusReceived;
    let frame_origin = page.api.base().origin().ascii_serialization();
    let start = Instant::now();
    let mut sent_seen: Option<Instant> = None;
    loop {
        let arrived = page
            .host_messages()
            .await?
            .iter()
            .any(|m| m.message_id.as_deref() == Some("App_LoadingStatus") && m.origin == frame_origin);
        if arrived {
            return Ok(None);
        }
        let f = page.frame().await?;
        let pmo = f.post_message_origin.clone();
        if f.loaded && pmo.is_none() {
            let raw = f
                .check_file_info
                .as_ref()
                .and_then(|c| c.properties.get("PostMessageOrigin"))
                .map_or_else(|| "none".to_string(), ToString::to_string);
            return Ok(Some(PreconditionFailure {
                precondition: p,
                seen: format!("CheckFileInfo's PostMessageOrigin ({raw}) is not an origin, so the frame posts nothing"),
            }));
        }
        if sent_seen.is_none() && f.sent.iter().any(|s| s.message_id == "App_LoadingStatus") {
            sent_seen = Some(Instant::now());
        }
        let gave_up = sent_seen.is_some_and(|t| t.elapsed() >= DELIVERY_GRACE) || start.elapsed() >= wait;
        if gave_up {
            let seen = match (&pmo, sent_seen) {
                (Some(o), Some(_)) if *o != page.host_origin => format!(
                    "the frame posted it to PostMessageOrigin {o}, but the page's origin is {}: the browser dropped \
                     it (every later exchange fails the same way)",
                    page.host_origin
                ),
                (Some(o), Some(_)) => format!("the frame posted it to {o}, but the page never received it"),
                _ => format!("within {wait:?} the frame did not post it (its script did not run to the end)"),
            };
            return Ok(Some(PreconditionFailure { precondition: p, seen }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn names(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        "none".into()
    } else {
        pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_is_sorted_and_prefixes_end_at_their_own_precondition() {
        assert!(Precondition::IN_ORDER.windows(2).all(|w| w[0] < w[1]));
        for p in Precondition::IN_ORDER {
            assert_eq!(p.and_before().last(), Some(&p));
        }
        assert_eq!(Precondition::FrameLoaded.and_before(), &[Precondition::FrameLoaded]);
    }

    #[test]
    fn reasons_start_with_the_marker_and_name_the_precondition() {
        let f = PreconditionFailure {
            precondition: Precondition::FormPosted,
            seen: "the frame was loaded by GET".into(),
        };
        let r = f.reason();
        assert!(r.starts_with("precondition not met: "), "{r}");
        assert!(
            r.contains("loaded by GET") && r.ends_with("reaching the frame by POST)"),
            "{r}"
        );
    }

    #[test]
    fn preconditions_are_ordered_as_they_happen() {
        assert!(Precondition::FrameLoaded < Precondition::FormPosted);
        assert!(Precondition::CheckFileInfoRead < Precondition::LoadingStatusReceived);
        assert!(Precondition::LoadingStatusReceived < Precondition::HandshakeCompleted);
    }
}
