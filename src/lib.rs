//! `poscart`: the `cart` edge function of a race-free cart and customer-queue backend for
//! point-of-sale apps on Supabase, compiled to WebAssembly and served by a thin Deno shim.
//!
//! The core is pure and runs natively under `cargo test`:
//! - [`request`]: parse and validate a request into a [`domain::Command`];
//! - [`domain`]: the action table (name, alias, RPC, GET allowed) and each command's RPC arguments;
//! - [`rpc`]: one RPC call and the translation of PostgREST's answer;
//! - [`error`]: [`error::AppError`], every failure with a stable snake_case code;
//! - [`http`]: error to status, JSON body and headers; which values may be sent as a header;
//! - [`retry`]: which failures are transient or give up at once, back-off delays with full jitter;
//! - [`deadline`]: the deadlines of the attempts in flight, served by one timer;
//! - [`log`]: the per-request and per-retry JSON log lines;
//! - [`config`]: configuration from the environment;
//! - [`port`]: the trait through which the handler reaches the outside world;
//! - [`handler`]: orchestration of one request, generic over the port.
//!
//! Only the wasm build does I/O: [`postgrest`] (RPC calls through postgrest-rs),
//! [`runtime`] (the port over JavaScript globals) and [`wasm`] (the exported class).

pub mod config;
pub mod deadline;
pub mod domain;
pub mod error;
pub mod handler;
pub mod http;
pub mod log;
pub mod port;
pub mod request;
pub mod retry;
pub mod rpc;

#[cfg(target_arch = "wasm32")]
pub mod postgrest;
#[cfg(target_arch = "wasm32")]
pub mod runtime;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
