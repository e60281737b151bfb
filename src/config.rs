//! The function's configuration, read once per worker from the environment
//! (`SUPABASE_URL`, `SUPABASE_ANON_KEY`, `CART_RETRY_*`). Missing or invalid values are one
//! clear error naming each problem. Pure: the caller supplies the lookup.

use crate::retry::RetryPolicy;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Project URL without a trailing slash, e.g. `http://127.0.0.1:54321`.
    pub supabase_url: String,
    /// Sent as `apikey` on every RPC; never the service-role key.
    pub anon_key: String,
    pub retry: RetryPolicy,
}

/// Every problem found in the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid function configuration: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The PostgREST base URL as Supabase exposes it.
    pub fn rest_url(&self) -> String {
        format!("{}/rest/v1", self.supabase_url)
    }

    /// Reads the configuration through `get` (an environment lookup).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let supabase_url = match get("SUPABASE_URL").map(|s| s.trim().to_string()) {
            Some(u) if is_http_url(&u) => u.trim_end_matches('/').to_string(),
            Some(_) => {
                problems.push("SUPABASE_URL must be an http(s) URL".to_string());
                String::new()
            }
            None => {
                problems.push("SUPABASE_URL is not set".to_string());
                String::new()
            }
        };
        let anon_key = match get("SUPABASE_ANON_KEY").map(|s| s.trim().to_string()) {
            Some(k) if !k.is_empty() && is_header_value(&k) => k,
            Some(_) => {
                problems.push("SUPABASE_ANON_KEY must be a non-empty header value".to_string());
                String::new()
            }
            None => {
                problems.push("SUPABASE_ANON_KEY is not set".to_string());
                String::new()
            }
        };
        let d = RetryPolicy::default();
        let mut num = |name: &str, default: u64, min: u64, max: u64| -> u64 {
            match get(name).map(|s| s.trim().to_string()) {
                None => default,
                Some(s) if s.is_empty() => default,
                Some(s) => match s.parse::<u64>() {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => {
                        problems.push(format!("{name} must be an integer from {min} to {max}"));
                        default
                    }
                },
            }
        };
        let retry = RetryPolicy {
            max_attempts: num("CART_RETRY_MAX_ATTEMPTS", d.max_attempts.into(), 1, 10) as u32,
            base_ms: num("CART_RETRY_BASE_MS", d.base_ms, 1, 10_000),
            cap_ms: num("CART_RETRY_CAP_MS", d.cap_ms, 1, 60_000),
            budget_ms: num("CART_RETRY_BUDGET_MS", d.budget_ms, 1, 120_000),
        };
        if problems.is_empty() {
            Ok(Config {
                supabase_url,
                anon_key,
                retry,
            })
        } else {
            Err(ConfigError(problems))
        }
    }
}

fn is_http_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("https://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Visible ASCII and spaces only: what an HTTP header value may safely hold.
pub fn is_header_value(v: &str) -> bool {
    v.bytes()
        .all(|b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn reads_url_key_and_default_retry_policy() {
        let c = Config::from_lookup(lookup(&[
            ("SUPABASE_URL", "http://127.0.0.1:54321/"),
            ("SUPABASE_ANON_KEY", "anon.jwt.key"),
        ]))
        .unwrap();
        assert_eq!(c.rest_url(), "http://127.0.0.1:54321/rest/v1");
        assert_eq!(c.anon_key, "anon.jwt.key");
        assert_eq!(c.retry, RetryPolicy::default());
    }

    #[test]
    fn reads_retry_settings() {
        let c = Config::from_lookup(lookup(&[
            ("SUPABASE_URL", "https://x.supabase.co"),
            ("SUPABASE_ANON_KEY", "k"),
            ("CART_RETRY_MAX_ATTEMPTS", "2"),
            ("CART_RETRY_BASE_MS", "5"),
            ("CART_RETRY_CAP_MS", "20"),
            ("CART_RETRY_BUDGET_MS", "300"),
        ]))
        .unwrap();
        let expected = RetryPolicy {
            max_attempts: 2,
            base_ms: 5,
            cap_ms: 20,
            budget_ms: 300,
        };
        assert_eq!(c.retry, expected);
    }

    #[test]
    fn names_every_problem() {
        let e = Config::from_lookup(lookup(&[
            ("SUPABASE_URL", "ftp://nope"),
            ("CART_RETRY_MAX_ATTEMPTS", "zero"),
        ]))
        .unwrap_err();
        assert_eq!(
            e.0,
            [
                "SUPABASE_URL must be an http(s) URL",
                "SUPABASE_ANON_KEY is not set",
                "CART_RETRY_MAX_ATTEMPTS must be an integer from 1 to 10"
            ]
        );
        let e = Config::from_lookup(lookup(&[("SUPABASE_ANON_KEY", "bad\nkey")])).unwrap_err();
        assert_eq!(
            e.0,
            [
                "SUPABASE_URL is not set",
                "SUPABASE_ANON_KEY must be a non-empty header value"
            ]
        );
    }

    #[test]
    fn header_values() {
        assert!(is_header_value("Bearer abc.def-ghi_"));
        assert!(!is_header_value("a\r\nb"));
        assert!(!is_header_value("caf\u{e9}"));
    }
}
