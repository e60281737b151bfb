//! Structured log records: one JSON line per request (written once, at the boundary) and one
//! warn line per retry. They hold ids, the action, statuses, timings and error codes only:
//! never a JWT, a key or the request body. Pure: formatting only.

use serde::Serialize;

/// The line written when a request ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestLog {
    pub ts: String,
    pub level: &'static str,
    pub msg: &'static str,
    pub request_id: String,
    pub method: String,
    pub action: Option<&'static str>,
    pub status: u16,
    pub duration_ms: u64,
    pub attempts: u32,
    pub rpc: Option<&'static str>,
    pub error_code: Option<&'static str>,
    /// Internal detail of a 5xx (PostgREST code and message, network error): log only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The warn line written before each retry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetryLog {
    pub ts: String,
    pub level: &'static str,
    pub msg: &'static str,
    pub request_id: String,
    pub action: &'static str,
    pub rpc: &'static str,
    /// The attempt that failed (1-based).
    pub attempt: u32,
    pub delay_ms: u64,
    /// `None` for a network error.
    pub status: Option<u16>,
    pub error_code: Option<String>,
    pub detail: String,
}

impl RequestLog {
    /// `error` for 5xx, `info` otherwise.
    pub fn level_for(status: u16) -> &'static str {
        if status >= 500 {
            "error"
        } else {
            "info"
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl RetryLog {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Formats Unix-epoch milliseconds as RFC 3339 UTC with milliseconds.
pub fn rfc3339(epoch_ms: f64) -> String {
    let ms = if epoch_ms.is_finite() && epoch_ms > 0.0 {
        epoch_ms as u64
    } else {
        0
    };
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123.0), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_769_129_400_000.0), "2026-01-23T00:50:00.000Z");
    }

    #[test]
    fn request_line_shape() {
        let line = RequestLog {
            ts: rfc3339(0.0),
            level: RequestLog::level_for(503),
            msg: "request",
            request_id: "r-1".into(),
            method: "POST".into(),
            action: Some("get"),
            status: 503,
            duration_ms: 12,
            attempts: 4,
            rpc: Some("get_or_create_cart"),
            error_code: Some("service_unavailable"),
            detail: None,
        };
        let v: Value = serde_json::from_str(&line.to_json()).unwrap();
        assert_eq!(
            v,
            json!({"ts": "1970-01-01T00:00:00.000Z", "level": "error", "msg": "request",
                   "request_id": "r-1", "method": "POST", "action": "get", "status": 503,
                   "duration_ms": 12, "attempts": 4, "rpc": "get_or_create_cart",
                   "error_code": "service_unavailable"})
        );
        assert_eq!(RequestLog::level_for(404), "info");
    }

    #[test]
    fn retry_line_shape() {
        let line = RetryLog {
            ts: rfc3339(0.0),
            level: "warn",
            msg: "rpc_retry",
            request_id: "r".into(),
            action: "get",
            rpc: "get_or_create_cart",
            attempt: 1,
            delay_ms: 30,
            status: None,
            error_code: None,
            detail: "connection refused".into(),
        };
        let v: Value = serde_json::from_str(&line.to_json()).unwrap();
        assert_eq!(v["level"], "warn");
        assert_eq!(v["status"], Value::Null);
        assert_eq!(v["delay_ms"], 30);
    }
}
