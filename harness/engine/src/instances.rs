//! One host, several doors: a host that runs several instances behind a load balancer is tested through every
//! instance's own base URL (`--instance URL`, repeatable, or `run --instances N` in embedded mode).
//!
//! A case's WOPISrc and token come from the first instance; a request marked `ext:Instance="n"` goes to instance
//! `n` (modulo the number of instances) with the same path and token, and the lock-race clients are spread over
//! the instances round-robin. The `ext_instances` suite (suites/instances.xml) uses this to check what only several
//! instances can show: locks, writes and expiry seen the same through every door.
//!
//! The provisioner that adds the instance list to every target is `exec::WithInstances`: this module is plain URL
//! arithmetic and needs nothing from `exec`.

use url::Url;

/// `url` (built for `instances[0]`) sent through instance `n` instead: the first instance's base URL prefix is
/// replaced with instance `n`'s (scheme, host, port and path prefix). With fewer than two instances, or a URL that
/// does not start with the first instance's base, `url` is returned unchanged (then only the origin is swapped
/// when the URL has the first instance's origin).
pub fn rebase(url: &Url, instances: &[Url], n: u16) -> Url {
    if instances.len() < 2 {
        return url.clone();
    }
    let first = &instances[0];
    let to = &instances[usize::from(n) % instances.len()];
    let from_base = first.as_str().trim_end_matches('/');
    let to_base = to.as_str().trim_end_matches('/');
    let s = url.as_str();
    if let Some(rest) = s.strip_prefix(from_base)
        && (rest.is_empty() || rest.starts_with(['/', '?']))
        && let Ok(rebased) = Url::parse(&format!("{to_base}{rest}"))
    {
        return rebased;
    }
    if url.origin() == first.origin() {
        let mut out = url.clone();
        let ok = out.set_scheme(to.scheme()).is_ok()
            && out.set_host(to.host_str()).is_ok()
            && out.set_port(to.port()).is_ok();
        if ok {
            return out;
        }
    }
    url.clone()
}

/// Parses the `--instance` values: absolute http(s) URLs; the first is the one the WOPISrc (or provisioner)
/// names ([`for_wopisrc`] puts the WOPISrc's own base first).
pub fn parse_instances(values: &[String]) -> Result<Vec<Url>, String> {
    values
        .iter()
        .map(|v| {
            let url = Url::parse(v).map_err(|e| format!("--instance {v:?} is not a URL: {e}"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(format!("--instance {v:?} must be an absolute http:// or https:// URL"));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(format!(
                    "--instance {v:?} must be a base URL, without query or fragment"
                ));
            }
            Ok(url)
        })
        .collect()
}

/// The instance list for a target whose WOPISrc is `wopisrc`: the base URL of `wopisrc` (everything before
/// `/wopi/files/`) first, then the other instances given. Empty when no other instance was given.
pub fn for_wopisrc(wopisrc: &Url, others: &[Url]) -> Vec<Url> {
    if others.is_empty() {
        return Vec::new();
    }
    let s = wopisrc.as_str();
    let base = match s.find("/wopi/files/") {
        Some(i) => s[..i].to_owned(),
        None => wopisrc.origin().ascii_serialization(),
    };
    let Ok(first) = Url::parse(&base) else {
        return Vec::new();
    };
    let mut out = vec![first];
    for o in others {
        if o.as_str().trim_end_matches('/') != out[0].as_str().trim_end_matches('/') {
            out.push(o.clone());
        }
    }
    if out.len() < 2 { Vec::new() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn rebase_swaps_the_base_and_keeps_path_and_query() {
        let instances = [u("http://a:1/"), u("http://b:2/"), u("http://c:3/pre")];
        let url = u("http://a:1/wopi/files/x/contents?access_token=t");
        assert_eq!(rebase(&url, &instances, 0), url);
        assert_eq!(
            rebase(&url, &instances, 1).as_str(),
            "http://b:2/wopi/files/x/contents?access_token=t"
        );
        assert_eq!(
            rebase(&url, &instances, 2).as_str(),
            "http://c:3/pre/wopi/files/x/contents?access_token=t"
        );
        assert_eq!(
            rebase(&url, &instances, 4).as_str(),
            rebase(&url, &instances, 1).as_str()
        );
        assert_eq!(rebase(&url, &instances[..1], 1), url);
    }

    #[test]
    fn instance_lists_start_with_the_wopisrc_base_and_refuse_non_urls() {
        let others = parse_instances(&["http://b:2".into()]).unwrap();
        let list = for_wopisrc(&u("http://a:1/wopi/files/x"), &others);
        assert_eq!(list, vec![u("http://a:1"), u("http://b:2")]);
        assert!(for_wopisrc(&u("http://a:1/wopi/files/x"), &[]).is_empty());
        assert!(parse_instances(&["nope".into()]).is_err());
        assert!(parse_instances(&["ftp://x/".into()]).is_err());
        assert!(parse_instances(&["http://x/?a=1".into()]).is_err());
    }
}
