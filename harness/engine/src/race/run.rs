//! Running a race: a seeded schedule of lock-family operations, executed by N concurrent clients over real HTTP
//! against one file, recorded as a history of (invocation, response) intervals on one monotonic clock.
//!
//! The schedule is a pure function of the seed, so a failing race can be re-run (and shrunk) from it. Lock IDs
//! are symbolic in the schedule ([`Arg`]) and resolved when the operation is sent, so clients contend the way
//! real editors do: each has its own ID, remembers the holder a 409 or GetLock named and tries to take over with
//! it, reuses stale IDs of its own, and writes with other clients' IDs. Every PutFile body is unique, so any
//! content read later names the one PutFile that wrote it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::time::Instant;
use wopi_mock_office::client::{RawRequest, RawResponse, WopiClient, WopiTarget};
use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;
use wopi_protocol::proof::Ticks;
use wopi_protocol::transcript::Exchange;

use super::{OpMix, RaceError};

/// The client index of the reads made after the race (final GetFile and GetLock).
pub const FINAL_CLIENT: u16 = u16::MAX;

/// The smallest response-body cap during a race (see [`execute`]).
const MIN_BODY_CAP: u64 = 1024 * 1024;

/// How many times the file is unlocked before a run before giving up on a clean start.
const RESET_ATTEMPTS: usize = 4;

/// Which lock ID an operation uses, resolved by its client when it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// The client's current ID.
    Own,
    /// The last non-empty `X-WOPI-Lock` this client was told (the holder, as far as it knows); its own ID before
    /// it has been told anything.
    Learned,
    /// The client's previous ID (before its last UnlockAndRelock), or an ID it never used.
    Stale,
    /// Another client's first ID.
    Other(u16),
}

/// One planned operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planned {
    Lock(Arg),
    Unlock(Arg),
    RefreshLock(Arg),
    /// `X-WOPI-OldLock` from the argument, `X-WOPI-Lock` the client's next ID.
    UnlockAndRelock(Arg),
    GetLock,
    PutFile(Arg),
    GetFile,
}

/// One planned operation with its number in the schedule (stable under shrinking; names the PutFile body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedOp {
    pub id: u32,
    pub op: Planned,
}

/// What one client does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPlan {
    pub client: u16,
    pub ops: Vec<PlannedOp>,
}

/// Every client's operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub clients: Vec<ClientPlan>,
}

impl Schedule {
    /// The schedule for `seed`: `operations` operations dealt round-robin to `clients` clients, drawn from `mix`.
    pub fn generate(seed: u64, clients: u16, operations: u32, mix: OpMix) -> Schedule {
        let mut rng = StdRng::seed_from_u64(seed);
        let clients = clients.max(1);
        let mut plans: Vec<ClientPlan> = (0..clients)
            .map(|client| ClientPlan {
                client,
                ops: Vec::new(),
            })
            .collect();
        for id in 0..operations {
            let client = (id % u32::from(clients)) as usize;
            let op = draw(&mut rng, mix, clients, client as u16);
            plans[client].ops.push(PlannedOp { id, op });
        }
        Schedule { clients: plans }
    }

    /// The number of planned operations.
    pub fn len(&self) -> usize {
        self.clients.iter().map(|c| c.ops.len()).sum()
    }

    /// Whether nothing is planned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every planned operation id, in client order.
    pub fn op_ids(&self) -> Vec<u32> {
        self.clients.iter().flat_map(|c| c.ops.iter().map(|o| o.id)).collect()
    }

    /// This schedule without the given operations (and without clients left with nothing to do).
    pub fn without(&self, drop: &[u32]) -> Schedule {
        let clients = self
            .clients
            .iter()
            .map(|c| ClientPlan {
                client: c.client,
                ops: c.ops.iter().filter(|o| !drop.contains(&o.id)).copied().collect(),
            })
            .filter(|c| !c.ops.is_empty())
            .collect();
        Schedule { clients }
    }
}

fn pick(rng: &mut StdRng, weighted: &[(u32, Planned)]) -> Planned {
    let total: u32 = weighted.iter().map(|(w, _)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (w, op) in weighted {
        if roll < *w {
            return *op;
        }
        roll -= w;
    }
    Planned::GetLock
}

fn draw(rng: &mut StdRng, mix: OpMix, clients: u16, me: u16) -> Planned {
    // Another client's ID: any client but this one (this one's own when it is alone).
    let other = if clients > 1 {
        let k = rng.random_range(0..clients - 1);
        Arg::Other(if k >= me { k + 1 } else { k })
    } else {
        Arg::Stale
    };
    use Arg::{Learned, Own, Stale};
    use Planned::*;
    let table: &[(u32, Planned)] = match mix {
        OpMix::LockOnly => &[(1, Lock(Own))],
        OpMix::LockUnlock => &[
            (40, Lock(Own)),
            (25, Unlock(Own)),
            (12, Unlock(Learned)),
            (5, Unlock(other)),
            (10, GetLock),
            (8, RefreshLock(Own)),
        ],
        OpMix::Relock => &[
            (32, Lock(Own)),
            (18, UnlockAndRelock(Own)),
            (18, UnlockAndRelock(Learned)),
            (4, UnlockAndRelock(Stale)),
            (14, Unlock(Own)),
            (6, Unlock(Learned)),
            (8, GetLock),
        ],
        OpMix::PutFile => &[
            (28, Lock(Own)),
            (14, Unlock(Own)),
            (6, Unlock(Learned)),
            (18, PutFile(Own)),
            (6, PutFile(Learned)),
            (8, PutFile(Stale)),
            (8, PutFile(other)),
            (12, GetFile),
        ],
        OpMix::Mixed => &[
            (24, Lock(Own)),
            (10, Unlock(Own)),
            (6, Unlock(Learned)),
            (5, RefreshLock(Own)),
            (2, RefreshLock(Stale)),
            (8, UnlockAndRelock(Own)),
            (8, UnlockAndRelock(Learned)),
            (2, UnlockAndRelock(Stale)),
            (6, GetLock),
            (10, PutFile(Own)),
            (3, PutFile(Learned)),
            (4, PutFile(Stale)),
            (4, PutFile(other)),
            (8, GetFile),
        ],
    };
    pick(rng, table)
}

/// An operation as it went on the wire.
pub type SentCall = super::model::Operation<String, Bytes>;

impl SentCall {
    /// The WOPI operation's name.
    /// The catalogue operation this call sends.
    pub fn op(&self) -> Op {
        match self {
            SentCall::Lock { .. } => Op::Lock,
            SentCall::Unlock { .. } => Op::Unlock,
            SentCall::RefreshLock { .. } => Op::RefreshLock,
            SentCall::UnlockAndRelock { .. } => Op::UnlockAndRelock,
            SentCall::GetLock => Op::GetLock,
            SentCall::PutFile { .. } => Op::PutFile,
            SentCall::GetFile => Op::GetFile,
        }
    }

    pub fn name(&self) -> &'static str {
        self.op().name()
    }

    /// The request for this call on `t`, its proof timestamped `clock_offset` ahead of now (the host's clock).
    pub fn request(&self, t: &WopiTarget, clock_offset: Duration) -> RawRequest {
        self.request_at(t, host_now(clock_offset))
    }

    /// The request for this call on `t`, its proof timestamped `stamp`.
    pub fn request_at(&self, t: &WopiTarget, stamp: Ticks) -> RawRequest {
        let mut req = self.bare_request(t);
        req.proof.timestamp = Some(stamp);
        req
    }

    fn bare_request(&self, t: &WopiTarget) -> RawRequest {
        let req = RawRequest::for_op(self.op(), t);
        match self {
            SentCall::Lock { lock } | SentCall::Unlock { lock } | SentCall::RefreshLock { lock } => {
                req.header(h::X_WOPI_LOCK, lock)
            }
            SentCall::UnlockAndRelock { new, old } => req.header(h::X_WOPI_LOCK, new).header(h::X_WOPI_OLD_LOCK, old),
            SentCall::PutFile { lock, body } => req.header(h::X_WOPI_LOCK, lock).body(body.clone()),
            SentCall::GetLock | SentCall::GetFile => req,
        }
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A response: its status, `X-WOPI-Lock` (`None` when absent), `X-WOPI-ItemVersion`, and the body for GetFile.
    Response {
        status: u16,
        lock: Option<String>,
        version: Option<String>,
        body: Option<Bytes>,
    },
    /// No response: a transport error or the client's timeout.
    Failed { error: String },
    /// Still in flight when the race's wall-clock budget (plus grace) ran out.
    Abandoned,
}

impl Received {
    fn from(result: Result<RawResponse, String>, call: &SentCall) -> Received {
        match result {
            Ok(resp) => Received::Response {
                status: resp.status,
                lock: resp.header(h::X_WOPI_LOCK).map(str::to_owned),
                version: resp.header(h::X_WOPI_ITEM_VERSION).map(str::to_owned),
                body: matches!(call, SentCall::GetFile).then_some(resp.body),
            },
            Err(error) => Received::Failed { error },
        }
    }

    /// The status, if there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Received::Response { status, .. } => Some(*status),
            Received::Failed { .. } | Received::Abandoned => None,
        }
    }
}

/// One operation of a history.
#[derive(Debug, Clone)]
pub struct OpRecord {
    /// The client that sent it ([`FINAL_CLIENT`] for the reads after the race).
    pub client: u16,
    /// Its planned id ([`u32::MAX`] for the reads after the race).
    pub planned: u32,
    pub call: SentCall,
    /// When it was sent, from the start of the race.
    pub invoked: Duration,
    /// When its answer (or error) arrived; `None` when it was abandoned at the end of the budget.
    pub returned: Option<Duration>,
    pub received: Received,
    /// The exchange, token redacted.
    pub exchange: Exchange,
}

/// The file as found before the race.
#[derive(Debug, Clone)]
pub struct Initial {
    /// The lock GetLock reported (`None` for none), after the harness tried to clear leftovers.
    pub holder: Option<String>,
    pub content: Bytes,
    pub version: Option<String>,
}

/// Everything one run observed.
#[derive(Debug, Clone)]
pub struct History {
    /// The prefix of every lock ID and body of this run.
    pub tag: String,
    pub initial: Initial,
    /// Race operations, then the final reads; sorted by invocation time.
    pub ops: Vec<OpRecord>,
    /// Whether the wall-clock budget ended the race before every planned operation was sent.
    pub budget_exhausted: bool,
}

/// The lock ID of `client` in generation `generation` of run `tag`.
fn lock_id(tag: &str, client: u16, generation: u32) -> String {
    format!("{tag}-c{client}-g{generation}")
}

/// What a client remembers while it runs its plan.
struct ClientMemory {
    generation: u32,
    learned: Option<String>,
}

impl ClientMemory {
    fn resolve(&self, tag: &str, client: u16, arg: Arg) -> String {
        match arg {
            Arg::Own => lock_id(tag, client, self.generation),
            Arg::Learned => self
                .learned
                .clone()
                .unwrap_or_else(|| lock_id(tag, client, self.generation)),
            Arg::Stale if self.generation > 0 => lock_id(tag, client, self.generation - 1),
            Arg::Stale => format!("{tag}-c{client}-stale"),
            Arg::Other(other) => lock_id(tag, other, 0),
        }
    }

    fn concrete(&mut self, tag: &str, client: u16, op: PlannedOp) -> SentCall {
        match op.op {
            Planned::Lock(a) => SentCall::Lock {
                lock: self.resolve(tag, client, a),
            },
            Planned::Unlock(a) => SentCall::Unlock {
                lock: self.resolve(tag, client, a),
            },
            Planned::RefreshLock(a) => SentCall::RefreshLock {
                lock: self.resolve(tag, client, a),
            },
            Planned::UnlockAndRelock(a) => {
                let old = self.resolve(tag, client, a);
                // A fresh ID on every attempt keeps every acquisition distinguishable.
                self.generation += 1;
                SentCall::UnlockAndRelock {
                    new: lock_id(tag, client, self.generation),
                    old,
                }
            }
            Planned::GetLock => SentCall::GetLock,
            Planned::PutFile(a) => SentCall::PutFile {
                lock: self.resolve(tag, client, a),
                body: Bytes::from(format!("{tag} PutFile #{} by c{client}", op.id)),
            },
            Planned::GetFile => SentCall::GetFile,
        }
    }

    fn learn(&mut self, received: &Received) {
        if let Received::Response { lock: Some(l), .. } = received
            && !l.is_empty()
        {
            self.learned = Some(l.clone());
        }
    }
}

/// Now by the host's clock, `clock_offset` ahead of real time, as a proof timestamp.
fn host_now(clock_offset: Duration) -> Ticks {
    Ticks::now().saturating_add(clock_offset)
}

/// Where and when one client sends: its connection, the file, the race's clock and its cut-off.
struct Sender<'a> {
    client: &'a WopiClient,
    target: &'a WopiTarget,
    start: Instant,
    /// Requests not answered by then are abandoned.
    cutoff: Instant,
    /// The proof timestamp of every request in this run (see [`execute`]).
    stamp: Ticks,
}

/// Sends `call` for client `who` and records it, giving up at the sender's cut-off.
async fn perform(sender: &Sender<'_>, who: u16, planned: u32, call: SentCall) -> OpRecord {
    let Sender {
        client,
        target,
        start,
        cutoff,
        stamp,
    } = *sender;
    let req = call.request_at(target, stamp);
    let invoked = start.elapsed();
    match tokio::time::timeout_at(cutoff, client.execute(req)).await {
        Ok((result, exchange)) => {
            let returned = start.elapsed();
            let received = Received::from(result.map_err(|e| e.to_string()), &call);
            OpRecord {
                client: who,
                planned,
                call,
                invoked,
                returned: Some(returned),
                received,
                exchange,
            }
        }
        Err(_) => {
            let exchange = abandoned_exchange(&call);
            OpRecord {
                client: who,
                planned,
                call,
                invoked,
                returned: None,
                received: Received::Abandoned,
                exchange,
            }
        }
    }
}

/// The transcript entry of a request abandoned at the end of the budget (the client never finished it).
fn abandoned_exchange(call: &SentCall) -> Exchange {
    Exchange {
        label: call.name().to_owned(),
        request: wopi_protocol::transcript::RecordedRequest {
            method: "POST".to_owned(),
            url: String::new(),
            headers: Vec::new(),
            body_size: 0,
            body_preview: String::new(),
        },
        outcome: wopi_protocol::transcript::RecordedOutcome::TransportError {
            message: "abandoned: the race's wall-clock budget ran out".to_owned(),
        },
        elapsed_ms: 0.0,
    }
}

/// One sequential request outside the race (setup), as a response or a setup error.
async fn setup_request(
    client: &WopiClient,
    target: &WopiTarget,
    call: SentCall,
    clock_offset: Duration,
) -> Result<RawResponse, RaceError> {
    let name = call.name();
    let (result, _) = client.execute(call.request(target, clock_offset)).await;
    result.map_err(|e| RaceError::Setup(format!("{name} before the race failed: {e}")))
}

/// Clears a leftover lock and reads the file's starting state.
async fn prepare(client: &WopiClient, target: &WopiTarget, clock_offset: Duration) -> Result<Initial, RaceError> {
    let mut holder = None;
    for _ in 0..RESET_ATTEMPTS {
        let resp = setup_request(client, target, SentCall::GetLock, clock_offset).await?;
        if resp.status != 200 {
            return Err(RaceError::Setup(format!(
                "GetLock before the race answered {} (expected 200)",
                resp.status
            )));
        }
        holder = resp.header(h::X_WOPI_LOCK).filter(|l| !l.is_empty()).map(str::to_owned);
        let Some(lock) = &holder else { break };
        // A lock left by an earlier run (or a case before this one): release it so each run starts unlocked.
        setup_request(client, target, SentCall::Unlock { lock: lock.clone() }, clock_offset).await?;
    }
    let file = setup_request(client, target, SentCall::GetFile, clock_offset).await?;
    if file.status != 200 {
        return Err(RaceError::Setup(format!(
            "GetFile before the race answered {} (expected 200)",
            file.status
        )));
    }
    Ok(Initial {
        holder,
        version: file.header(h::X_WOPI_ITEM_VERSION).map(str::to_owned),
        content: file.body,
    })
}

/// The time limits of one run, and where its clients send.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Clients stop sending when it is over.
    pub budget: Duration,
    /// Requests still in flight this long after the budget are abandoned.
    pub grace: Duration,
    /// How far ahead of real time the host's clock is (proof timestamps follow it).
    pub clock_offset: Duration,
    /// The host's instances; client `i` sends through instance `i` modulo their number (empty: one instance).
    pub instances: Vec<url::Url>,
}

/// Runs `schedule` once against `target`: prepare the file, release all clients at once, stop sending at the
/// end of the budget, abandon what is still in flight a grace period later, then read the file's final state.
pub async fn execute(
    client: &WopiClient,
    target: &WopiTarget,
    schedule: &Schedule,
    tag: &str,
    timing: Timing,
) -> Result<History, RaceError> {
    let Timing {
        budget,
        grace,
        clock_offset,
        instances,
    } = timing;
    let initial = prepare(client, target, clock_offset).await?;
    // A read can only match the original content or a (short) PutFile body, so anything much longer is already
    // wrong: cap response bodies there, so a hostile host cannot make every racing GetFile hold a huge body.
    let cap = (initial.content.len() as u64)
        .saturating_mul(2)
        .max(MIN_BODY_CAP)
        .min(client.config().max_body_bytes);
    let client = &client.with_max_body_bytes(cap);
    // The editors send at the same instant, so every request of the run carries the run's start as its proof
    // timestamp (a run lasts seconds; proofs stay valid for 20 minutes). Requests for the same URL then sign to the
    // same proof, which the client signs once: without that, signing was most of a race's CPU.
    let stamp = host_now(clock_offset);
    let start = Instant::now();
    let deadline = start + budget;
    let cutoff = deadline + grace;
    let barrier = Arc::new(tokio::sync::Barrier::new(schedule.clients.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for plan in &schedule.clients {
        let plan = plan.clone();
        let editor = client.new_session();
        // Spread over the instances: a lock that one instance keeps to itself then loses the race.
        let target = WopiTarget::new(
            crate::instances::rebase(&target.wopisrc, &instances, plan.client),
            target.access_token.clone(),
        );
        let tag = tag.to_owned();
        let barrier = Arc::clone(&barrier);
        tasks.spawn(async move {
            let mut memory = ClientMemory {
                generation: 0,
                learned: None,
            };
            let mut records = Vec::with_capacity(plan.ops.len());
            let mut cut_short = false;
            // Every client starts at the same instant: the first wave is the most contended.
            barrier.wait().await;
            for op in &plan.ops {
                if Instant::now() >= deadline {
                    cut_short = true;
                    break;
                }
                let call = memory.concrete(&tag, plan.client, *op);
                let sender = Sender {
                    client: &editor,
                    target: &target,
                    start,
                    cutoff,
                    stamp,
                };
                let record = perform(&sender, plan.client, op.id, call).await;
                memory.learn(&record.received);
                let abandoned = record.returned.is_none();
                records.push(record);
                if abandoned {
                    cut_short = true;
                    break;
                }
            }
            (records, cut_short)
        });
    }
    let mut ops = Vec::with_capacity(schedule.len() + 2);
    let mut budget_exhausted = false;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((records, cut_short)) => {
                ops.extend(records);
                budget_exhausted |= cut_short;
            }
            Err(e) => return Err(RaceError::Setup(format!("a race client task failed: {e}"))),
        }
    }
    // The final reads are part of the history: they pin down what the race left behind.
    let far = Instant::now() + grace.max(Duration::from_secs(1)) * 4;
    let sender = Sender {
        client,
        target,
        start,
        cutoff: far,
        stamp: host_now(clock_offset),
    };
    for call in [SentCall::GetFile, SentCall::GetLock] {
        ops.push(perform(&sender, FINAL_CLIENT, u32::MAX, call).await);
    }
    ops.sort_by_key(|o| o.invoked);
    Ok(History {
        tag: tag.to_owned(),
        initial,
        ops,
        budget_exhausted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_a_function_of_the_seed() {
        let a = Schedule::generate(7, 4, 40, OpMix::Mixed);
        assert_eq!(a, Schedule::generate(7, 4, 40, OpMix::Mixed));
        assert_ne!(a, Schedule::generate(8, 4, 40, OpMix::Mixed));
        assert_eq!(a.len(), 40);
        assert_eq!(a.clients.len(), 4);
        assert!(a.clients.iter().all(|c| c.ops.len() == 10));
    }

    #[test]
    fn lock_only_plans_only_locks_and_dropping_ops_drops_idle_clients() {
        let s = Schedule::generate(1, 3, 6, OpMix::LockOnly);
        assert!(
            s.clients
                .iter()
                .flat_map(|c| &c.ops)
                .all(|o| o.op == Planned::Lock(Arg::Own))
        );
        let ids: Vec<u32> = s.clients[0].ops.iter().map(|o| o.id).collect();
        let smaller = s.without(&ids);
        assert_eq!(smaller.clients.len(), 2);
        assert_eq!(smaller.len(), 4);
    }

    #[test]
    fn other_client_ids_never_name_the_client_itself() {
        let s = Schedule::generate(3, 5, 500, OpMix::PutFile);
        for plan in &s.clients {
            for op in &plan.ops {
                if let Planned::PutFile(Arg::Other(o)) | Planned::Unlock(Arg::Other(o)) = op.op {
                    assert_ne!(o, plan.client);
                    assert!(o < 5);
                }
            }
        }
    }

    #[test]
    fn relock_moves_to_a_new_id_and_stale_names_the_previous_one() {
        let mut m = ClientMemory {
            generation: 0,
            learned: None,
        };
        assert_eq!(m.resolve("t", 2, Arg::Stale), "t-c2-stale");
        let relock = m.concrete(
            "t",
            2,
            PlannedOp {
                id: 0,
                op: Planned::UnlockAndRelock(Arg::Own),
            },
        );
        assert_eq!(
            relock,
            SentCall::UnlockAndRelock {
                new: "t-c2-g1".into(),
                old: "t-c2-g0".into()
            }
        );
        assert_eq!(m.resolve("t", 2, Arg::Stale), "t-c2-g0");
        m.learn(&Received::Response {
            status: 409,
            lock: Some("t-c5-g3".into()),
            version: None,
            body: None,
        });
        assert_eq!(m.resolve("t", 2, Arg::Learned), "t-c5-g3");
    }
}
