//! The function's configuration, read once per worker from the environment
//! (`SUPABASE_URL`, `SUPABASE_ANON_KEY`, `CART_RETRY_*`). Missing or invalid values are one
//! clear error naming each problem. Pure: the caller looks each variable up in whatever holds
//! the environment ([`Env::read`]; the wasm build: the JS object of `Deno.env.toObject()`;
//! tests: JSON).

use crate::http::is_header_value;
use crate::retry::RetryPolicy;
use std::fmt;

/// One variable as the environment holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Var {
    #[default]
    Unset,
    Text(String),
    /// Set to something other than a string (an environment object built by hand).
    NotText,
}

/// The environment variables the function reads, as given (every other variable is ignored).
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub supabase_url: Var,
    pub anon_key: Var,
    pub retry_max_attempts: Var,
    pub retry_base_ms: Var,
    pub retry_cap_ms: Var,
    pub retry_budget_ms: Var,
}

impl Env {
    /// Looks up each variable the function reads, by name, and no other.
    pub fn read(mut lookup: impl FnMut(&str) -> Var) -> Env {
        Env {
            supabase_url: lookup(SUPABASE_URL),
            anon_key: lookup(SUPABASE_ANON_KEY),
            retry_max_attempts: lookup(CART_RETRY_MAX_ATTEMPTS),
            retry_base_ms: lookup(CART_RETRY_BASE_MS),
            retry_cap_ms: lookup(CART_RETRY_CAP_MS),
            retry_budget_ms: lookup(CART_RETRY_BUDGET_MS),
        }
    }
}

const SUPABASE_URL: &str = "SUPABASE_URL";
const SUPABASE_ANON_KEY: &str = "SUPABASE_ANON_KEY";
const CART_RETRY_MAX_ATTEMPTS: &str = "CART_RETRY_MAX_ATTEMPTS";
const CART_RETRY_BASE_MS: &str = "CART_RETRY_BASE_MS";
const CART_RETRY_CAP_MS: &str = "CART_RETRY_CAP_MS";
const CART_RETRY_BUDGET_MS: &str = "CART_RETRY_BUDGET_MS";

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

    /// Checks the environment and builds the configuration.
    pub fn from_env(env: &Env) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        // The value, trimmed; `Err` when it is set but not a string.
        let trimmed = |v: &Var| match v {
            Var::Unset => Ok(None),
            Var::Text(s) => Ok(Some(s.trim().to_string())),
            Var::NotText => Err(()),
        };
        let supabase_url = match trimmed(&env.supabase_url) {
            Ok(Some(u)) if is_http_url(&u) => u.trim_end_matches('/').to_string(),
            Ok(Some(_)) => {
                problems.push(format!("{SUPABASE_URL} must be an http(s) URL"));
                String::new()
            }
            Ok(None) => {
                problems.push(format!("{SUPABASE_URL} is not set"));
                String::new()
            }
            Err(()) => {
                problems.push(format!("{SUPABASE_URL} must be a string"));
                String::new()
            }
        };
        let anon_key = match trimmed(&env.anon_key) {
            Ok(Some(k)) if !k.is_empty() && is_header_value(&k) => k,
            Ok(Some(_)) => {
                problems.push(format!(
                    "{SUPABASE_ANON_KEY} must be a non-empty header value"
                ));
                String::new()
            }
            Ok(None) => {
                problems.push(format!("{SUPABASE_ANON_KEY} is not set"));
                String::new()
            }
            Err(()) => {
                problems.push(format!("{SUPABASE_ANON_KEY} must be a string"));
                String::new()
            }
        };
        let d = RetryPolicy::default();
        let mut num =
            |value: &Var, name: &str, default: u64, min: u64, max: u64| match trimmed(value) {
                Ok(None) => default,
                Ok(Some(s)) if s.is_empty() => default,
                Err(()) => {
                    problems.push(format!("{name} must be a string"));
                    default
                }
                Ok(Some(s)) => match s.parse::<u64>() {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => {
                        problems.push(format!("{name} must be an integer from {min} to {max}"));
                        default
                    }
                },
            };
        let retry = RetryPolicy {
            max_attempts: num(
                &env.retry_max_attempts,
                CART_RETRY_MAX_ATTEMPTS,
                d.max_attempts.into(),
                1,
                10,
            ) as u32,
            base_ms: num(&env.retry_base_ms, CART_RETRY_BASE_MS, d.base_ms, 1, 10_000),
            cap_ms: num(&env.retry_cap_ms, CART_RETRY_CAP_MS, d.cap_ms, 1, 60_000),
            budget_ms: num(
                &env.retry_budget_ms,
                CART_RETRY_BUDGET_MS,
                d.budget_ms,
                1,
                120_000,
            ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Reads a JSON object as the wasm build reads the environment object.
    fn config(env: Value) -> Result<Config, ConfigError> {
        Config::from_env(&Env::read(|name| match env.get(name) {
            None | Some(Value::Null) => Var::Unset,
            Some(Value::String(s)) => Var::Text(s.clone()),
            Some(_) => Var::NotText,
        }))
    }

    #[test]
    fn reads_url_key_and_default_retry_policy() {
        let c = config(json!({
            "SUPABASE_URL": "http://127.0.0.1:54321/",
            "SUPABASE_ANON_KEY": "anon.jwt.key",
            "HOME": "/root",
            "SUPABASE_SERVICE_ROLE_KEY": "never read",
        }))
        .unwrap();
        assert_eq!(c.rest_url(), "http://127.0.0.1:54321/rest/v1");
        assert_eq!(c.anon_key, "anon.jwt.key");
        assert_eq!(c.retry, RetryPolicy::default());
    }

    #[test]
    fn reads_retry_settings() {
        let c = config(json!({
            "SUPABASE_URL": "https://x.supabase.co",
            "SUPABASE_ANON_KEY": "k",
            "CART_RETRY_MAX_ATTEMPTS": "2",
            "CART_RETRY_BASE_MS": " 5 ",
            "CART_RETRY_CAP_MS": "20",
            "CART_RETRY_BUDGET_MS": "300",
        }))
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
        let e = config(json!({
            "SUPABASE_URL": "ftp://nope",
            "CART_RETRY_MAX_ATTEMPTS": "zero",
        }))
        .unwrap_err();
        assert_eq!(
            e.0,
            [
                "SUPABASE_URL must be an http(s) URL",
                "SUPABASE_ANON_KEY is not set",
                "CART_RETRY_MAX_ATTEMPTS must be an integer from 1 to 10"
            ]
        );
        let e = config(json!({"SUPABASE_ANON_KEY": "bad\nkey"})).unwrap_err();
        assert_eq!(
            e.0,
            [
                "SUPABASE_URL is not set",
                "SUPABASE_ANON_KEY must be a non-empty header value"
            ]
        );
        let e = config(json!({
            "SUPABASE_URL": 1,
            "SUPABASE_ANON_KEY": ["k"],
            "CART_RETRY_BASE_MS": 5,
        }))
        .unwrap_err();
        assert_eq!(
            e.0,
            [
                "SUPABASE_URL must be a string",
                "SUPABASE_ANON_KEY must be a string",
                "CART_RETRY_BASE_MS must be a string"
            ]
        );
    }
}
