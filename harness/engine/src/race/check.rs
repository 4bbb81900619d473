//! Judging a race history: the four lock-race rules, then a printable account of the interleaving that broke one.
//!
//! In order (the first broken rule is reported; the earlier rules give the clearer message):
//! 1. **Answers**: every lock operation answers 200 or 409, GetLock and GetFile 200, and every request gets an
//!    answer (no transport errors, no timeouts).
//! 2. **Losers are told the holder**: a Lock that loses gets 409 with a non-empty `X-WOPI-Lock` that is not its own
//!    ID; no 409 names an ID that no client ever sent.
//! 3. **One holder at a time**: two successful acquisitions by different IDs need a release of one of them that
//!    real time allows to fall between them.
//! 4. **Content**: no content read (during the race or after it) is the body of a PutFile that was refused or a
//!    body nobody sent; `X-WOPI-ItemVersion` changes exactly when the content did.
//! 5. **Linearizability** against [`super::model::LockModel`]: some order of the operations, consistent with real
//!    time (an operation that returned before another was sent comes first), explains every answer. This is the
//!    Wing & Gong search with Lowe's memoisation (as in Porcupine): operations are tried in time order, each
//!    (set of operations placed, model state) pair is explored once, and operations without an answer may take
//!    effect at any point after they were sent, or never.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::model::{Answer, Call, ContentKey, FileState, INITIAL_CONTENT, LockKey, LockModel, SeenLock};
use super::run::{FINAL_CLIENT, History, OpRecord, Received, SentCall};

/// The longest interleaving printed in full; longer ones are cut around the operations that matter.
const MAX_PRINTED_OPS: usize = 40;

/// Which rule a violation broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Answers,
    LosersToldHolder,
    OneHolder,
    Content,
    Linearizable,
}

impl Rule {
    /// A short name for reports (`LockRace <name>`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::Answers => "Answers",
            Rule::LosersToldHolder => "LosersToldHolder",
            Rule::OneHolder => "OneHolder",
            Rule::Content => "Content",
            Rule::Linearizable => "Linearizable",
        }
    }

    /// The documentation page the rule mainly comes from.
    pub fn doc_page(self) -> &'static str {
        match self {
            Rule::Content => "rest/files/PutFile.rst",
            Rule::OneHolder => "rest/files/UnlockAndRelock.rst",
            Rule::Answers | Rule::LosersToldHolder | Rule::Linearizable => "rest/files/Lock.rst",
        }
    }

    /// The rule as a sentence with its source.
    pub fn statement(self) -> &'static str {
        match self {
            Rule::Answers => "every lock-family request gets an answer, 200 or 409 (rest/files/Lock.rst and siblings)",
            Rule::LosersToldHolder => {
                "a request refused for a lock mismatch gets 409 with the current lock in X-WOPI-Lock (rest/files/Lock.rst: \
                 must always be included)"
            }
            Rule::OneHolder => {
                "a file has at most one lock at a time (rest/files/Lock.rst, UnlockAndRelock.rst: atomic)"
            }
            Rule::Content => {
                "only a PutFile with the current lock changes the content, and X-WOPI-ItemVersion changes with it \
                 (rest/files/PutFile.rst)"
            }
            Rule::Linearizable => {
                "the answers must be explainable by some one-at-a-time order of the operations consistent with real \
                 time (the lock rules of rest/files/*.rst applied atomically)"
            }
        }
    }
}

/// A broken rule and the operations (indexes into [`History::ops`]) that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: Rule,
    pub message: String,
    pub ops: Vec<usize>,
}

/// What the linearizability search concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linearizability {
    /// An order was found.
    Linearizable,
    /// No order exists; `blocked` is the operation that could not be placed after `placed` others.
    NotLinearizable { blocked: usize, placed: usize },
    /// The search hit its step limit first.
    Undecided,
}

/// The verdict on one history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The first broken rule, if any.
    pub violation: Option<Violation>,
    /// Things worth knowing that are not failures (an undecided search, abandoned requests).
    pub notes: Vec<String>,
}

/// Interned lock IDs and contents of one history.
struct Interner {
    locks: HashMap<String, LockKey>,
    bodies: HashMap<Vec<u8>, ContentKey>,
    /// For each content key (after the initial one), the op that sent it.
    body_op: Vec<usize>,
    initial: Vec<u8>,
}

impl Interner {
    fn new(history: &History) -> Interner {
        let mut me = Interner {
            locks: HashMap::new(),
            bodies: HashMap::new(),
            body_op: Vec::new(),
            initial: history.initial.content.to_vec(),
        };
        for (i, op) in history.ops.iter().enumerate() {
            if let SentCall::PutFile { body, .. } = &op.call {
                let key = ContentKey::try_from(me.body_op.len() + 1).unwrap_or(ContentKey::MAX);
                me.bodies.insert(body.to_vec(), key);
                me.body_op.push(i);
            }
        }
        me
    }

    fn lock(&mut self, id: &str) -> LockKey {
        let next = LockKey::try_from(self.locks.len()).unwrap_or(LockKey::MAX);
        *self.locks.entry(id.to_owned()).or_insert(next)
    }

    fn seen(&mut self, header: Option<&str>) -> SeenLock {
        match header {
            None | Some("") => SeenLock::Empty,
            Some(id) => SeenLock::Id(self.lock(id)),
        }
    }

    fn content(&self, body: &[u8]) -> Option<ContentKey> {
        if body == self.initial.as_slice() {
            Some(INITIAL_CONTENT)
        } else {
            self.bodies.get(body).copied()
        }
    }

    fn call(&mut self, call: &SentCall) -> Call {
        match call {
            SentCall::Lock { lock } => Call::Lock { lock: self.lock(lock) },
            SentCall::Unlock { lock } => Call::Unlock { lock: self.lock(lock) },
            SentCall::RefreshLock { lock } => Call::RefreshLock { lock: self.lock(lock) },
            SentCall::UnlockAndRelock { new, old } => Call::UnlockAndRelock {
                new: self.lock(new),
                old: self.lock(old),
            },
            SentCall::GetLock => Call::GetLock,
            SentCall::PutFile { lock, body } => Call::PutFile {
                lock: self.lock(lock),
                body: self.bodies.get(body.as_ref()).copied().unwrap_or(ContentKey::MAX),
            },
            SentCall::GetFile => Call::GetFile,
        }
    }

    fn answer(&mut self, call: &SentCall, received: &Received) -> Answer {
        match received {
            Received::Response {
                status: 200,
                lock,
                body,
                ..
            } => Answer::Ok {
                lock: self.seen(lock.as_deref()),
                content: body.as_ref().and_then(|b| self.content(b)),
            },
            Received::Response { status: 409, lock, .. } if !matches!(call, SentCall::GetFile) => Answer::Conflict {
                lock: self.seen(lock.as_deref()),
            },
            _ => Answer::Unknown,
        }
    }
}

/// One operation as the search sees it: times in nanoseconds, `ret == u64::MAX` when there is no answer.
#[derive(Debug, Clone, Copy)]
pub struct LinOp {
    pub call: Call,
    pub answer: Answer,
    pub inv: u64,
    pub ret: u64,
}

fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX - 1)
}

/// The linearizability search over `ops` from `init`; gives up after `max_steps` steps.
pub fn linearize(model: &LockModel, init: FileState, ops: &[LinOp], max_steps: u64) -> Linearizability {
    const NIL: usize = usize::MAX;
    let n = ops.len();
    if n == 0 {
        return Linearizability::Linearizable;
    }
    // Node 0 is the head; node 1 + 2i is op i's call, 2 + 2i its return.
    let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * n);
    for (i, op) in ops.iter().enumerate() {
        events.push((op.inv, 0, i));
        events.push((op.ret, 1, i));
    }
    // Calls before returns at equal times: the more permissive reading of a tie.
    events.sort_unstable();
    let node = |i: usize, is_return: u8| 1 + 2 * i + usize::from(is_return);
    let mut next = vec![NIL; 2 * n + 1];
    let mut prev = vec![NIL; 2 * n + 1];
    let mut last = 0;
    for &(_, kind, i) in &events {
        let nd = node(i, kind);
        next[last] = nd;
        prev[nd] = last;
        last = nd;
    }
    let op_of = |nd: usize| (nd - 1) / 2;
    let is_call = |nd: usize| (nd - 1).is_multiple_of(2);

    let lift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, call: usize| {
        let ret = call + 1;
        next[prev[call]] = next[call];
        if next[call] != NIL {
            prev[next[call]] = prev[call];
        }
        next[prev[ret]] = next[ret];
        if next[ret] != NIL {
            prev[next[ret]] = prev[ret];
        }
    };
    let unlift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, call: usize| {
        let ret = call + 1;
        next[prev[ret]] = ret;
        if next[ret] != NIL {
            prev[next[ret]] = ret;
        }
        next[prev[call]] = call;
        if next[call] != NIL {
            prev[next[call]] = call;
        }
    };

    // The set of placed operations is remembered by its Zobrist hash (the XOR of a random 128-bit key per
    // operation): constant size per entry and O(1) to update; two different sets collide with odds of 2^-128.
    let mut rng = StdRng::seed_from_u64(0x5eed_11ea_2128);
    let keys: Vec<u128> = (0..n).map(|_| rng.random()).collect();
    let mut placed: u128 = 0;
    let mut seen: HashSet<(u128, FileState)> = HashSet::new();
    // (call node, state before it, forced): a forced placement has no alternative worth trying (see below).
    let mut stack: Vec<(usize, FileState, bool)> = Vec::new();
    let mut state = init;
    let mut entry = next[0];
    let mut best: Option<(usize, usize)> = None;
    let mut steps = 0u64;
    while next[0] != NIL {
        steps += 1;
        if steps > max_steps {
            return Linearizability::Undecided;
        }
        if entry == NIL {
            // Only returns of unanswered operations remain unreached: nothing left must be placed.
            return Linearizability::Linearizable;
        }
        let i = op_of(entry);
        let mut dead_end = false;
        if is_call(entry) {
            if let Some(after) = model.step(state, ops[i].call, ops[i].answer) {
                // An operation that changes nothing wherever it fits (a 409, a read, a refresh) can always be
                // placed now: every unplaced operation returns after it was sent, and moving a no-op earlier
                // changes no other answer. So if placing it now fails, not placing it fails too. (A Lock answered
                // 200 is not one: it may be a refresh here and the acquisition that matters later.)
                let forced = LockModel::never_changes(ops[i].call, ops[i].answer);
                placed ^= keys[i];
                if seen.insert((placed, after)) {
                    stack.push((entry, state, forced));
                    state = after;
                    lift(&mut next, &mut prev, entry);
                    entry = next[0];
                    continue;
                }
                placed ^= keys[i];
                dead_end = forced;
            }
            if !dead_end {
                entry = next[entry];
                continue;
            }
        } else {
            if ops[i].ret == u64::MAX {
                // The first unplaced return is an unanswered operation's: every answered one is placed.
                return Linearizability::Linearizable;
            }
            if best.is_none_or(|(d, _)| stack.len() > d) {
                best = Some((stack.len(), i));
            }
        }
        // Backtrack to the last placement that has an alternative.
        loop {
            let Some((call, before, forced)) = stack.pop() else {
                let (depth, blocked) = best.unwrap_or((0, i));
                return Linearizability::NotLinearizable { blocked, placed: depth };
            };
            let j = op_of(call);
            placed ^= keys[j];
            state = before;
            unlift(&mut next, &mut prev, call);
            if !forced {
                entry = next[call];
                break;
            }
        }
    }
    Linearizability::Linearizable
}

/// Checks a history against every rule; `max_steps` bounds the linearizability search.
pub fn check(history: &History, max_steps: u64) -> CheckReport {
    let mut notes = Vec::new();
    let abandoned = history
        .ops
        .iter()
        .filter(|o| matches!(o.received, Received::Abandoned))
        .count();
    if abandoned > 0 {
        notes.push(format!(
            "{abandoned} request(s) were still unanswered when the budget ran out; they count as possibly applied"
        ));
    }
    let violation = answers(history)
        .or_else(|| losers(history))
        .or_else(|| one_holder(history))
        .or_else(|| content(history))
        .or_else(|| linearizable(history, max_steps, &mut notes));
    CheckReport { violation, notes }
}

fn answers(history: &History) -> Option<Violation> {
    for (i, op) in history.ops.iter().enumerate() {
        let problem = match (&op.call, &op.received) {
            (_, Received::Failed { error }) => format!("got no answer: {error}"),
            (SentCall::GetLock | SentCall::GetFile, Received::Response { status, .. }) if *status != 200 => {
                format!("answered {status}; expected 200")
            }
            (_, Received::Response { status, .. }) if *status != 200 && *status != 409 => {
                format!("answered {status}; expected 200 or 409")
            }
            _ => continue,
        };
        return Some(Violation {
            rule: Rule::Answers,
            message: format!("{} by {} {problem}", op.call.name(), client_name(op.client)),
            ops: vec![i],
        });
    }
    None
}

fn losers(history: &History) -> Option<Violation> {
    let mut sent: HashSet<&str> = HashSet::new();
    for op in &history.ops {
        match &op.call {
            SentCall::Lock { lock }
            | SentCall::Unlock { lock }
            | SentCall::RefreshLock { lock }
            | SentCall::PutFile { lock, .. } => {
                sent.insert(lock);
            }
            SentCall::UnlockAndRelock { new, old } => {
                sent.insert(new);
                sent.insert(old);
            }
            SentCall::GetLock | SentCall::GetFile => {}
        }
    }
    if let Some(h) = &history.initial.holder {
        sent.insert(h);
    }
    for (i, op) in history.ops.iter().enumerate() {
        let Received::Response { status, lock, .. } = &op.received else {
            continue;
        };
        let named = lock.as_deref().unwrap_or("");
        let who = client_name(op.client);
        let problem = match (&op.call, *status) {
            (SentCall::Lock { .. }, 409) if named.is_empty() => format!(
                "Lock by {who} lost (409) without being told the holder: X-WOPI-Lock was {}",
                lock.as_deref().map_or("missing".to_owned(), |_| "empty".to_owned())
            ),
            (SentCall::Lock { lock: mine }, 409) if named == mine => {
                format!("Lock by {who} lost (409) but X-WOPI-Lock names its own lock {mine:?} as the holder")
            }
            (_, 409 | 200) if !named.is_empty() && !sent.contains(named) => format!(
                "{} by {who} was told the lock is {named:?}, an ID no client ever sent",
                op.call.name()
            ),
            _ => continue,
        };
        return Some(Violation {
            rule: Rule::LosersToldHolder,
            message: problem,
            ops: vec![i],
        });
    }
    None
}

fn one_holder(history: &History) -> Option<Violation> {
    struct Span {
        op: usize,
        id: String,
        inv: u64,
        ret: u64,
    }
    let span = |i: usize, op: &OpRecord, id: &str| Span {
        op: i,
        id: id.to_owned(),
        inv: nanos(op.invoked),
        ret: match (&op.received, op.returned) {
            (Received::Response { .. }, Some(t)) => nanos(t),
            _ => u64::MAX,
        },
    };
    let mut acquired = Vec::new();
    let mut releases: HashMap<String, Vec<Span>> = HashMap::new();
    for (i, op) in history.ops.iter().enumerate() {
        let status = op.received.status();
        let maybe = status == Some(200) || status.is_none();
        match &op.call {
            SentCall::Lock { lock } if status == Some(200) => acquired.push(span(i, op, lock)),
            SentCall::UnlockAndRelock { new, old } => {
                if status == Some(200) {
                    acquired.push(span(i, op, new));
                }
                if maybe && new != old {
                    releases.entry(old.clone()).or_default().push(span(i, op, old));
                }
            }
            SentCall::Unlock { lock } if maybe => releases.entry(lock.clone()).or_default().push(span(i, op, lock)),
            _ => {}
        }
    }
    // For each acquisition, the earliest a release of its ID can be sent and still come after it.
    let first_release: Vec<u64> = acquired
        .iter()
        .map(|a| {
            releases
                .get(&a.id)
                .into_iter()
                .flatten()
                .filter(|r| r.ret >= a.inv)
                .map(|r| r.inv)
                .min()
                .unwrap_or(u64::MAX)
        })
        .collect();
    // `a` then a release of `a`'s ID then `b` is a possible order.
    let possible = |a: usize, b: usize| acquired[a].inv <= acquired[b].ret && first_release[a] <= acquired[b].ret;
    for b in 0..acquired.len() {
        for a in 0..b {
            if acquired[a].id != acquired[b].id && !possible(a, b) && !possible(b, a) {
                let (x, y) = (&history.ops[acquired[a].op], &history.ops[acquired[b].op]);
                return Some(Violation {
                    rule: Rule::OneHolder,
                    message: format!(
                        "two clients held the lock at once: {} by {} took {:?} and {} by {} took {:?}, and no release \
                         of either can fall between them",
                        x.call.name(),
                        client_name(x.client),
                        acquired[a].id,
                        y.call.name(),
                        client_name(y.client),
                        acquired[b].id
                    ),
                    ops: vec![acquired[a].op, acquired[b].op],
                });
            }
        }
    }
    None
}

fn content(history: &History) -> Option<Violation> {
    let interner = Interner::new(history);
    for (i, op) in history.ops.iter().enumerate() {
        let (SentCall::GetFile, Received::Response { status: 200, body, .. }) = (&op.call, &op.received) else {
            continue;
        };
        let body = body.as_deref().unwrap_or_default();
        let who = client_name(op.client);
        match interner.content(body) {
            None => {
                return Some(Violation {
                    rule: Rule::Content,
                    message: format!(
                        "GetFile by {who} returned {} bytes that are neither the original content nor any PutFile body",
                        body.len()
                    ),
                    ops: vec![i],
                });
            }
            Some(INITIAL_CONTENT) => {}
            Some(key) => {
                let put = interner.body_op[(key - 1) as usize];
                let writer = &history.ops[put];
                if writer.received.status() == Some(409) {
                    let lock = match &writer.call {
                        SentCall::PutFile { lock, .. } => lock.as_str(),
                        _ => "",
                    };
                    return Some(Violation {
                        rule: Rule::Content,
                        message: format!(
                            "PutFile by {} with lock {lock:?} was refused (409), yet GetFile by {who} returned its body",
                            client_name(writer.client)
                        ),
                        ops: vec![put, i],
                    });
                }
            }
        }
    }
    version(history, &interner)
}

fn version(history: &History, interner: &Interner) -> Option<Violation> {
    let (i, last) = history
        .ops
        .iter()
        .enumerate()
        .rev()
        .find(|(_, o)| o.client == FINAL_CLIENT && matches!(o.call, SentCall::GetFile))?;
    let Received::Response {
        status: 200,
        version: Some(after),
        body,
        ..
    } = &last.received
    else {
        return None;
    };
    let before = history.initial.version.as_deref()?;
    let changed = body
        .as_deref()
        .and_then(|b| interner.content(b))
        .is_some_and(|k| k != INITIAL_CONTENT);
    let puts: Vec<&OpRecord> = history
        .ops
        .iter()
        .filter(|o| matches!(o.call, SentCall::PutFile { .. }))
        .collect();
    let all_refused = !puts.is_empty() && puts.iter().all(|o| o.received.status() == Some(409));
    let message = if changed && after == before {
        format!("the content changed but X-WOPI-ItemVersion stayed {before:?}")
    } else if all_refused && after != before {
        // Only judged when PutFiles were sent: a version that also moves on lock changes is odd but not a rule.
        format!("every PutFile was refused, yet X-WOPI-ItemVersion changed from {before:?} to {after:?}")
    } else {
        return None;
    };
    Some(Violation {
        rule: Rule::Content,
        message,
        ops: vec![i],
    })
}

fn linearizable(history: &History, max_steps: u64, notes: &mut Vec<String>) -> Option<Violation> {
    let mut interner = Interner::new(history);
    let init = FileState {
        holder: history.initial.holder.as_deref().map(|h| interner.lock(h)),
        content: INITIAL_CONTENT,
    };
    let model = LockModel {
        initially_empty: history.initial.content.is_empty(),
    };
    let ops: Vec<LinOp> = history
        .ops
        .iter()
        .map(|op| {
            let answer = interner.answer(&op.call, &op.received);
            LinOp {
                call: interner.call(&op.call),
                answer,
                inv: nanos(op.invoked),
                ret: match (answer, op.returned) {
                    (Answer::Unknown, _) | (_, None) => u64::MAX,
                    (_, Some(t)) => nanos(t),
                },
            }
        })
        .collect();
    match linearize(&model, init, &ops, max_steps) {
        Linearizability::Linearizable => None,
        Linearizability::Undecided => {
            notes.push(format!(
                "linearizability was not decided within {max_steps} search steps ({} operations)",
                ops.len()
            ));
            None
        }
        Linearizability::NotLinearizable { blocked, placed } => {
            let b = &ops[blocked];
            // The operations that could have been ordered around the blocked one.
            let mut around: Vec<usize> = (0..ops.len())
                .filter(|&j| ops[j].inv <= b.ret && b.inv <= ops[j].ret)
                .collect();
            around.sort_unstable();
            let op = &history.ops[blocked];
            Some(Violation {
                rule: Rule::Linearizable,
                message: format!(
                    "no order of the operations explains the answers: with {placed} operation(s) placed, {} by {} \
                     ({}) fits nowhere",
                    op.call.name(),
                    client_name(op.client),
                    describe_answer(op)
                ),
                ops: around,
            })
        }
    }
}

/// `c3`, or `after` for the reads made once the race was over.
pub fn client_name(client: u16) -> String {
    if client == FINAL_CLIENT {
        "the final read".to_owned()
    } else {
        format!("c{client}")
    }
}

fn describe_call(op: &OpRecord) -> String {
    match &op.call {
        SentCall::Lock { lock } => format!("Lock {lock}"),
        SentCall::Unlock { lock } => format!("Unlock {lock}"),
        SentCall::RefreshLock { lock } => format!("RefreshLock {lock}"),
        SentCall::UnlockAndRelock { new, old } => format!("UnlockAndRelock {old} -> {new}"),
        SentCall::GetLock => "GetLock".to_owned(),
        SentCall::PutFile { lock, body } => format!("PutFile {lock} body {:?}", String::from_utf8_lossy(body)),
        SentCall::GetFile => "GetFile".to_owned(),
    }
}

fn describe_answer(op: &OpRecord) -> String {
    match &op.received {
        Received::Response { status, lock, body, .. } => {
            let mut s = status.to_string();
            match lock.as_deref() {
                Some(l) if *status == 409 || matches!(op.call, SentCall::GetLock) => {
                    let _ = write!(s, " X-WOPI-Lock={l:?}");
                }
                None if *status == 409 || matches!(op.call, SentCall::GetLock) => s.push_str(" (no X-WOPI-Lock)"),
                _ => {}
            }
            if let Some(b) = body {
                let text = String::from_utf8_lossy(b);
                let shown: String = text.chars().take(60).collect();
                let _ = write!(s, " body {shown:?}");
            }
            s
        }
        Received::Failed { error } => format!("no answer: {error}"),
        Received::Abandoned => "no answer before the budget ran out".to_owned(),
    }
}

fn ms(d: Option<std::time::Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.3}", d.as_secs_f64() * 1000.0))
}

/// The interleaving as a table, sorted by send time, with the operations of the violation marked `<<`.
/// A long history is cut to the operations overlapping the marked ones.
pub fn interleaving(history: &History, marked: &[usize]) -> String {
    let mut shown: Vec<usize> = (0..history.ops.len()).collect();
    let mut omitted = 0;
    if shown.len() > MAX_PRINTED_OPS && !marked.is_empty() {
        let lo = marked.iter().map(|&i| history.ops[i].invoked).min().unwrap_or_default();
        let hi = marked
            .iter()
            .map(|&i| history.ops[i].returned.unwrap_or(std::time::Duration::MAX))
            .max()
            .unwrap_or_default();
        shown.retain(|&i| {
            let op = &history.ops[i];
            marked.contains(&i) || (op.invoked <= hi && op.returned.is_none_or(|r| r >= lo))
        });
        if shown.len() > MAX_PRINTED_OPS {
            let keep: Vec<usize> = marked.to_vec();
            let mut rest: Vec<usize> = shown.iter().copied().filter(|i| !keep.contains(i)).collect();
            rest.truncate(MAX_PRINTED_OPS.saturating_sub(keep.len()));
            shown = keep.into_iter().chain(rest).collect();
            shown.sort_unstable();
        }
        omitted = history.ops.len() - shown.len();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4}  {:<10} {:>10} {:>10}  {:<55} answer",
        "#", "client", "sent ms", "answer ms", "operation"
    );
    for &i in &shown {
        let op = &history.ops[i];
        let _ = writeln!(
            out,
            "{:>4}  {:<10} {:>10} {:>10}  {:<55} {}{}",
            i + 1,
            if op.client == FINAL_CLIENT {
                "after".to_owned()
            } else {
                format!("c{}", op.client)
            },
            ms(Some(op.invoked)),
            ms(op.returned),
            describe_call(op),
            describe_answer(op),
            if marked.contains(&i) { "   <<" } else { "" }
        );
    }
    if omitted > 0 {
        let _ = writeln!(out, "      ({omitted} other operations not shown)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::tests::{M, UNLOCKED};
    use super::*;

    fn op(call: Call, answer: Answer, inv: u64, ret: u64) -> LinOp {
        LinOp { call, answer, inv, ret }
    }

    fn ok() -> Answer {
        Answer::Ok {
            lock: SeenLock::Empty,
            content: None,
        }
    }

    fn refused(by: LockKey) -> Answer {
        Answer::Conflict { lock: SeenLock::Id(by) }
    }

    #[test]
    fn overlapping_locks_with_one_winner_are_linearizable() {
        // Two Locks overlap; the loser is told the winner's ID; the winner unlocks; the loser then locks.
        let h = [
            op(Call::Lock { lock: 1 }, refused(2), 0, 10),
            op(Call::Lock { lock: 2 }, ok(), 1, 9),
            op(Call::Unlock { lock: 2 }, ok(), 11, 12),
            op(Call::Lock { lock: 1 }, ok(), 13, 14),
        ];
        assert_eq!(linearize(&M, UNLOCKED, &h, 10_000), Linearizability::Linearizable);
    }

    #[test]
    fn the_loser_may_be_ordered_before_the_winner_only_if_real_time_allows() {
        // c1's Lock overlaps c2's Unlock, so it may have seen the lock still held.
        let h = [
            op(Call::Lock { lock: 2 }, ok(), 0, 1),
            op(Call::Unlock { lock: 2 }, ok(), 2, 6),
            op(Call::Lock { lock: 1 }, refused(2), 3, 5),
        ];
        assert_eq!(linearize(&M, UNLOCKED, &h, 10_000), Linearizability::Linearizable);
        // Sent after the Unlock returned: it cannot have seen the old holder.
        let h = [
            op(Call::Lock { lock: 2 }, ok(), 0, 1),
            op(Call::Unlock { lock: 2 }, ok(), 2, 3),
            op(Call::Lock { lock: 1 }, refused(2), 4, 5),
        ];
        assert!(matches!(
            linearize(&M, UNLOCKED, &h, 10_000),
            Linearizability::NotLinearizable { blocked: 2, placed: 2 }
        ));
    }

    #[test]
    fn two_concurrent_winners_are_not_linearizable() {
        let h = [
            op(Call::Lock { lock: 1 }, ok(), 0, 10),
            op(Call::Lock { lock: 2 }, ok(), 1, 9),
        ];
        assert!(matches!(
            linearize(&M, UNLOCKED, &h, 10_000),
            Linearizability::NotLinearizable { .. }
        ));
    }

    #[test]
    fn a_stale_put_must_not_show_up_in_a_later_read() {
        let read = |content| Answer::Ok {
            lock: SeenLock::Empty,
            content: Some(content),
        };
        let good = [
            op(Call::Lock { lock: 1 }, ok(), 0, 1),
            op(Call::PutFile { lock: 1, body: 5 }, ok(), 2, 3),
            op(Call::PutFile { lock: 2, body: 6 }, refused(1), 2, 4),
            op(Call::GetFile, read(5), 5, 6),
        ];
        assert_eq!(linearize(&M, UNLOCKED, &good, 10_000), Linearizability::Linearizable);
        let mut bad = good;
        bad[3] = op(Call::GetFile, read(6), 5, 6);
        assert!(matches!(
            linearize(&M, UNLOCKED, &bad, 10_000),
            Linearizability::NotLinearizable { blocked: 3, .. }
        ));
    }

    #[test]
    fn unanswered_operations_may_apply_or_not() {
        // The Unlock timed out: whether it applied decides what GetLock may say; both answers are explainable.
        for seen in [SeenLock::Empty, SeenLock::Id(1)] {
            let h = [
                op(Call::Lock { lock: 1 }, ok(), 0, 1),
                op(Call::Unlock { lock: 1 }, Answer::Unknown, 2, u64::MAX),
                op(
                    Call::GetLock,
                    Answer::Ok {
                        lock: seen,
                        content: None,
                    },
                    3,
                    4,
                ),
            ];
            assert_eq!(
                linearize(&M, UNLOCKED, &h, 10_000),
                Linearizability::Linearizable,
                "{seen:?}"
            );
        }
        // It cannot apply before it was sent.
        let h = [
            op(Call::Lock { lock: 1 }, ok(), 0, 1),
            op(
                Call::GetLock,
                Answer::Ok {
                    lock: SeenLock::Empty,
                    content: None,
                },
                2,
                3,
            ),
            op(Call::Unlock { lock: 1 }, Answer::Unknown, 4, u64::MAX),
        ];
        assert!(matches!(
            linearize(&M, UNLOCKED, &h, 10_000),
            Linearizability::NotLinearizable { blocked: 1, .. }
        ));
    }

    #[test]
    fn a_lock_that_fits_here_as_a_refresh_may_still_be_a_later_acquisition() {
        // After c0's first Lock, c0 locks again while c1 unlocks it; GetLock then reports A. The only order:
        // Lock, Unlock, Lock (an acquisition, not a refresh), GetLock.
        let get_lock = |lock| Answer::Ok { lock, content: None };
        let h = [
            op(Call::Lock { lock: 1 }, ok(), 0, 1),
            op(Call::Lock { lock: 1 }, ok(), 2, 10),
            op(Call::Unlock { lock: 1 }, ok(), 3, 9),
            op(Call::GetLock, get_lock(SeenLock::Id(1)), 11, 12),
        ];
        assert_eq!(linearize(&M, UNLOCKED, &h, 10_000), Linearizability::Linearizable);
    }

    #[test]
    fn the_search_is_bounded() {
        let h: Vec<LinOp> = (0..64)
            .map(|i| {
                op(
                    Call::GetLock,
                    Answer::Ok {
                        lock: SeenLock::Empty,
                        content: None,
                    },
                    i,
                    1000 + i,
                )
            })
            .collect();
        assert_eq!(linearize(&M, UNLOCKED, &h, 10), Linearizability::Undecided);
        assert_eq!(linearize(&M, UNLOCKED, &h, 1_000_000), Linearizability::Linearizable);
    }
}
