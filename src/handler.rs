//! Orchestration of one request: request id, method and credentials, parsing, the RPC call
//! with retries, and the response plus its log record. Generic over the `Port`, so tests run
//! it natively with a fake; does I/O only through the port.

use crate::domain::Action;
use crate::error::{AppError, FieldError};
use crate::http::{error_response, is_header_value, success, HttpResponse};
use crate::log::{rfc3339, RequestLog, RetryLog};
use crate::port::Port;
use crate::request::{parse_command, IncomingRequest};
use crate::retry::RetryPolicy;
use crate::rpc::{classify, Outcome, RpcCall};

/// The function, built once per worker.
pub struct Handler<P: Port> {
    port: P,
    policy: RetryPolicy,
}

/// A finished request: the response and the one log line to write for it.
#[derive(Debug, Clone)]
pub struct Handled {
    pub response: HttpResponse,
    pub log: RequestLog,
}

/// What the log line needs to know about the work done.
#[derive(Default)]
struct Trace {
    action: Option<Action>,
    attempts: u32,
    detail: Option<String>,
}

impl<P: Port> Handler<P> {
    pub fn new(port: P, policy: RetryPolicy) -> Self {
        Self { port, policy }
    }

    /// Serves one request. Never panics and never fails: every error becomes a response.
    pub async fn handle(&self, req: &IncomingRequest) -> Handled {
        let started = self.port.now_ms();
        let request_id = req
            .request_id
            .as_deref()
            .filter(|id| is_valid_request_id(id))
            .map(str::to_owned)
            .unwrap_or_else(|| self.port.new_request_id());
        let mut trace = Trace::default();
        let result = self.run(req, &request_id, started, &mut trace).await;
        let (response, error) = match result {
            Ok(body) => (success(body, &request_id), None),
            Err(e) => (error_response(&e, &request_id), Some(e)),
        };
        let error = error.as_ref();
        let log = RequestLog {
            ts: rfc3339(started),
            level: RequestLog::level_for(response.status),
            msg: "request",
            request_id,
            method: req.method.chars().take(16).collect(),
            action: trace.action.map(Action::name),
            status: response.status,
            duration_ms: elapsed(started, self.port.now_ms()),
            attempts: trace.attempts,
            rpc: trace.action.map(Action::rpc),
            error_code: error.map(AppError::code),
            detail: error
                .and_then(AppError::log_detail)
                .map(str::to_owned)
                .or(trace.detail),
        };
        Handled { response, log }
    }

    async fn run(
        &self,
        req: &IncomingRequest,
        request_id: &str,
        started: f64,
        trace: &mut Trace,
    ) -> Result<String, AppError> {
        if req.method != "GET" && req.method != "POST" {
            return Err(AppError::MethodNotAllowed);
        }
        let authorization = check_authorization(req.authorization.as_deref())?;
        let command = parse_command(req)?;
        trace.action = Some(command.action());
        let idempotency_key = check_idempotency_key(req.idempotency_key.as_deref())?;
        let call = RpcCall {
            name: command.action().rpc(),
            args: command.rpc_args(),
            authorization: authorization.to_owned(),
            request_id: request_id.to_owned(),
            idempotency_key,
        };
        self.call_with_retries(&call, command.action(), started, trace)
            .await
    }

    /// Calls the RPC, retrying transient failures with back-off until the policy says stop.
    async fn call_with_retries(
        &self,
        call: &RpcCall,
        action: Action,
        started: f64,
        trace: &mut Trace,
    ) -> Result<String, AppError> {
        loop {
            trace.attempts += 1;
            let spent = elapsed(started, self.port.now_ms());
            let timeout_ms = self.policy.budget_ms.saturating_sub(spent).max(1);
            let result = self.port.call_rpc(call, timeout_ms).await;
            let (status, code, detail) = match classify(&result) {
                Outcome::Success(value) => return Ok(value),
                Outcome::Failed(error) => return Err(error),
                Outcome::GaveUp { detail } => return Err(self.unavailable(detail, trace)),
                Outcome::Transient {
                    status,
                    code,
                    detail,
                } => (status, code, detail),
            };
            let now = self.port.now_ms();
            let next =
                self.policy
                    .next_delay(trace.attempts, self.port.jitter(), elapsed(started, now));
            let Some(delay_ms) = next else {
                return Err(self.unavailable(detail, trace));
            };
            let warning = RetryLog {
                ts: rfc3339(now),
                level: "warn",
                msg: "rpc_retry",
                request_id: call.request_id.clone(),
                action: action.name(),
                rpc: call.name,
                attempt: trace.attempts,
                delay_ms,
                status,
                error_code: code,
                detail,
            };
            self.port.warn(&warning.to_json());
            self.port.sleep(delay_ms).await;
        }
    }

    /// 503 with `Retry-After`; `detail` (the last failure and its cause) goes to the log line.
    fn unavailable(&self, detail: String, trace: &mut Trace) -> AppError {
        trace.detail = Some(detail);
        AppError::Unavailable {
            retry_after_s: self.policy.retry_after_s(),
        }
    }
}

/// The caller's `Authorization`, which must be a `Bearer` token fit to forward.
fn check_authorization(header: Option<&str>) -> Result<&str, AppError> {
    let value = header
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(AppError::MissingAuthorization)?;
    let token = value
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
        .map(|_| value[7..].trim());
    match token {
        Some(t) if !t.is_empty() && is_header_value(value) => Ok(value),
        _ => Err(AppError::Unauthorized),
    }
}

/// A caller-supplied request id is kept when it is short and plain; otherwise a new one is made.
/// The `Idempotency-Key` header when given: 1-255 printable ASCII characters, no spaces (the
/// database checks the same). Absent: `None`, the request is carried out as usual.
fn check_idempotency_key(header: Option<&str>) -> Result<Option<String>, AppError> {
    match header {
        None => Ok(None),
        Some(key)
            if (1..=255).contains(&key.len())
                && key.bytes().all(|b| (0x21..=0x7e).contains(&b)) =>
        {
            Ok(Some(key.to_owned()))
        }
        Some(_) => Err(AppError::InvalidFields(vec![FieldError::new(
            "idempotency_key",
            "(the Idempotency-Key header) must be 1-255 printable ASCII characters without spaces",
        )])),
    }
}

fn is_valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn elapsed(started: f64, now: f64) -> u64 {
    let d = now - started;
    if d.is_finite() && d > 0.0 {
        d.round() as u64
    } else {
        0
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
