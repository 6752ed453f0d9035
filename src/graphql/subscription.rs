//! Subscriptions (live updates over `graphql-transport-ws`, see `live/`).
//!
//! Every event is delivered as if the subscriber had asked for it that instant: the event
//! (IDs and tenant keys) is first checked against the viewer's scope and the subscribed board,
//! then read again in a scoped transaction of its own, as that viewer ([`ScopedDb`]:
//! application scope, and row-level security on PostgreSQL), and the selection set is resolved
//! on that transaction. Clinical reads it makes are audited like those of any request before
//! the event leaves. A subscriber that falls behind the bus is dropped (`live::CLOSE_TOO_SLOW`).

use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    Context, ContextSelectionSet, Data, OutputType, Positioned, ServerResult, SimpleObject,
    Subscription as SubscriptionRoot, Value,
};
use futures_util::Stream;
use sea_orm::EntityTrait;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::db::entities::health_exam;
use crate::db::{Access, WriteTurn};
use crate::error::{AppError, AppResult};
use crate::graphql::RequestData;
use crate::graphql::types::{CoverageCell, HealthExam, coverage_cell};
use crate::live::{ExamEvent, LiveConnection, SubscriptionSlot};
use crate::scope::{self, Scope, ScopedDb};
use crate::stats::{self, Subject};

#[derive(Default)]
pub struct Subscription;

/// A change of exam coverage, after an exam was recorded or corrected.
#[derive(SimpleObject)]
pub struct CoverageChange {
    /// Coverage of the subscribed board (boardCode, default the viewer's own), recomputed after
    /// the exam.
    pub total: CoverageCell,
    /// The cell of the subscribed board's direct child that holds the examined cadre (the
    /// subscribed board itself when it has no children).
    pub changed: CoverageCell,
}

#[SubscriptionRoot]
impl Subscription {
    /// Exam coverage of `year`'s round `round` for a board (`boardCode`, default the viewer's
    /// own; the same boards `statistics(boardCode)` answers for, and the same `NOT_FOUND` for
    /// one outside the scope), sent again each time an exam of that round is recorded or
    /// corrected in the board's subtree. Every role.
    async fn coverage_changed(
        &self,
        ctx: &Context<'_>,
        year: i32,
        round: i32,
        board_code: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Live<CoverageChange>>>>
    {
        let conn = connection(ctx)?;
        let subject = subject(&conn, board_code.as_deref())?;
        stats::check_coverage_period(year, Some(round))?;
        let slot = conn.take_slot()?;
        let subject = Arc::new(subject);
        Ok(feed(conn, slot, move |conn, event| {
            let subject = subject.clone();
            async move {
                if !event.rounds.contains(&(year, round))
                    || !concerns(&conn, &subject.within, &event)?
                {
                    return Ok(None);
                }
                let request = EventRequest::begin(&conn).await?;
                let figures = stats::exam_coverage(&request.db, &subject, year, Some(round)).await;
                let figures = match figures {
                    Ok(figures) => figures,
                    Err(err) => return Err(request.fail(err).await),
                };
                let row = subject.row_of(&event.keys()).unwrap_or(0);
                let mut rows = figures.by_board.into_iter();
                let Some(changed) = rows.nth(row) else {
                    return Err(request.fail(AppError::Internal("no such row".into())).await);
                };
                let change = CoverageChange {
                    total: coverage_cell(figures.total),
                    changed: coverage_cell(changed),
                };
                Ok(Some(request.deliver(change)))
            }
        }))
    }

    /// Each exam recorded or corrected in a board's subtree (`boardCode`, default the viewer's
    /// own; a board outside the scope is `NOT_FOUND`), read as the subscriber: clinical detail,
    /// so clinicians and admins only (`FORBIDDEN` for analysts), and every delivery is audited
    /// as a read of the cadre's clinical records.
    async fn exam_recorded(
        &self,
        ctx: &Context<'_>,
        board_code: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Live<HealthExam>>>> {
        let conn = connection(ctx)?;
        conn.viewer.require_clinical()?;
        let within = Arc::new(subject(&conn, board_code.as_deref())?.within);
        let slot = conn.take_slot()?;
        Ok(feed(conn, slot, move |conn, event| {
            let within = within.clone();
            async move {
                if !concerns(&conn, &within, &event)? {
                    return Ok(None);
                }
                let request = EventRequest::begin(&conn).await?;
                let exam = request
                    .db
                    .one(health_exam::Entity::find_by_id(event.exam))
                    .await;
                match exam {
                    Ok(Some(exam)) => Ok(Some(request.deliver(HealthExam(exam)))),
                    // Moved out of the scope since (a transfer): nothing to say.
                    Ok(None) => {
                        request.finish().await?;
                        Ok(None)
                    }
                    Err(err) => Err(request.fail(err).await),
                }
            }
        }))
    }
}

/// The socket's viewer and state, set by `connection_init`.
fn connection(ctx: &Context<'_>) -> AppResult<Arc<LiveConnection>> {
    ctx.data::<Arc<LiveConnection>>()
        .cloned()
        .map_err(|_| AppError::Unauthenticated("no live connection"))
}

/// The board a subscription is about, exactly as `statistics(boardCode)` resolves it.
fn subject(conn: &LiveConnection, code: Option<&str>) -> AppResult<Subject> {
    let boards = conn.state.boards.current();
    Subject::resolve(&conn.viewer, &boards, code, conn.viewer.today)
}

/// Whether `event` lies in the viewer's scope and in `within` (the subscribed board's
/// subtree). The scoped re-read checks the first again, at the database.
fn concerns(conn: &LiveConnection, within: &Scope, event: &ExamEvent) -> AppResult<bool> {
    let at = Scope::of_keys(&event.keys())?;
    Ok(conn.viewer.scope.covers(&at) && within.covers(&at))
}

/// The stream of one subscription: each event on the bus, turned by `deliver` into what is
/// sent (`None`: not for this subscriber). A subscription that falls `--live-buffer` events
/// behind ends, and drops its socket with `CLOSE_TOO_SLOW`.
fn feed<T, F, Fut>(
    conn: Arc<LiveConnection>,
    slot: SubscriptionSlot,
    deliver: F,
) -> impl Stream<Item = async_graphql::Result<Live<T>>> + Send + 'static
where
    T: Send + Sync + 'static,
    F: Fn(Arc<LiveConnection>, Arc<ExamEvent>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = AppResult<Option<Live<T>>>> + Send,
{
    let events = conn.state.live.subscribe();
    futures_util::stream::unfold(
        (events, conn, slot, deliver),
        |(mut events, conn, slot, deliver)| async move {
            loop {
                match events.recv().await {
                    Ok(event) => match deliver(conn.clone(), event).await {
                        Ok(Some(item)) => return Some((Ok(item), (events, conn, slot, deliver))),
                        Ok(None) => {}
                        Err(err) => {
                            return Some((Err(err.into()), (events, conn, slot, deliver)));
                        }
                    },
                    Err(RecvError::Lagged(missed)) => {
                        tracing::info!(missed, "live subscriber too slow; dropped");
                        conn.too_slow();
                        return None;
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    )
}

/// One event's read: a scoped transaction as the subscriber, like one HTTP request's.
struct EventRequest {
    conn: Arc<LiveConnection>,
    db: Arc<ScopedDb>,
    data: Arc<RequestData>,
    turn: Mutex<Option<WriteTurn>>,
    deadline: Instant,
}

impl EventRequest {
    async fn begin(conn: &Arc<LiveConnection>) -> AppResult<Arc<EventRequest>> {
        let state = &conn.state;
        let timeout = state.config.request_timeout;
        let deadline = Instant::now() + timeout;
        let turn = state.write_gate.enter(Access::Read, deadline).await?;
        let db = scope::begin_request(
            &state.db,
            conn.viewer.scope.clone(),
            state.config.app_filter,
            timeout,
            Access::Read,
        )
        .await?;
        let db = Arc::new(db);
        let data = Arc::new(RequestData::new(
            conn.viewer.clone(),
            db.clone(),
            state.boards.current(),
            state.config.clone(),
        ));
        Ok(Arc::new(EventRequest {
            conn: conn.clone(),
            db,
            data,
            turn: Mutex::new(Some(turn)),
            deadline,
        }))
    }

    /// `value`, to be resolved on this request's transaction and then finished.
    fn deliver<T>(self: Arc<Self>, value: T) -> Live<T> {
        let mut data = Data::default();
        data.insert(self.data.clone());
        Live {
            value,
            data,
            request: self,
        }
    }

    /// Ends the transaction and audits the clinical reads it made (in a transaction of their
    /// own where it could not keep them: a read-only SQLite transaction).
    async fn finish(&self) -> AppResult<()> {
        let turn = self.turn.lock().ok().and_then(|mut t| t.take()).flatten();
        let actor = &self.conn.actor;
        let reads = scope::finish_request(&self.db, true, actor, turn).await?;
        if !reads.is_empty() {
            let state = &self.conn.state;
            scope::audit_unkept_reads(
                &state.db,
                &state.write_gate,
                self.deadline,
                &self.conn.viewer.scope,
                actor,
                &reads,
            )
            .await?;
        }
        Ok(())
    }

    /// Ends the transaction after `err`; the error to send.
    async fn fail(&self, err: AppError) -> AppError {
        match self.finish().await {
            Ok(()) => err,
            Err(finishing) => finishing,
        }
    }
}

/// A value sent on a subscription, resolved (its nested fields included) on the scoped
/// transaction of its own event, which then ends. async-graphql resolves every item of a
/// subscription with the socket's context data; each item's request data comes in through the
/// context's per-execution data (`execute_data`, looked up first), the hook async-graphql's
/// own extensions use.
pub struct Live<T> {
    value: T,
    data: Data,
    request: Arc<EventRequest>,
}

impl<T: OutputType> OutputType for Live<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.value.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let mut scoped = ctx.clone();
        scoped.execute_data = Some(&self.data);
        let value = self.value.resolve(&scoped, field).await;
        // No clinical detail leaves unaudited: when the audit cannot be written, the event is
        // an error instead.
        match self.request.finish().await {
            Ok(()) => value,
            Err(err) => Err(async_graphql::Error::from(err).into_server_error(field.pos)),
        }
    }
}
