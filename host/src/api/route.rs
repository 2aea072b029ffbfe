//! Each route of `/v1` declared once. A [`Route`] names its method, path, permission,
//! request and answer types, and handler; from the one list (`api::routes`, each
//! module's `routes()` gathered) the router mounts the handlers, the gate and the
//! console read the permissions (`api::permission_of`), and `openapi.rs` writes the
//! operations. A route added to its module's `routes()` is therefore routed, guarded
//! and described.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use std::future::Future;

use axum::http::{Method, StatusCode};
use axum::routing::{self, MethodRouter};
use schemars::{JsonSchema, schema_for};
use serde_json::Value;

use super::AppState;
use super::permission::Permission;
use super::problem::Problem;
use crate::store::Durable;

/// A type's component name and its JSON Schema (draft 2020-12, with its `$defs`).
pub type Shape = fn() -> (String, Value);

pub(super) fn shape<T: JsonSchema>() -> (String, Value) {
    (
        T::schema_name().into_owned(),
        serde_json::to_value(schema_for!(T)).unwrap_or_default(),
    )
}

/// What a route's request carries.
#[derive(Clone, Copy)]
pub enum Body {
    Empty,
    Json(Shape),
    /// A JSON object whose shape the council's active plugin defines (its settings).
    PluginSettings,
    /// A WebAssembly component, uploaded as `application/wasm`.
    Wasm,
}

/// One route: everything the router, the gate and the OpenAPI document know of it.
pub struct Route {
    pub method: Method,
    /// The whole pattern, `/v1` included, as the gate matches and the document names it.
    pub path: &'static str,
    pub permission: Permission,
    pub query: Option<Shape>,
    pub body: Body,
    /// The success status; 204 answers with no body.
    pub status: u16,
    /// The success body; `None` with a 2xx other than 204 is a JSON document of any shape.
    pub answer: Option<Shape>,
    /// Mounted only under `--manual-clock` (still described, so the document is one).
    pub manual_clock_only: bool,
    pub handler: MethodRouter<AppState>,
}

/// What a route that writes must answer: a [`Durable`] acknowledgement, which only
/// `Store::commit` makes (after the flush), alone or after a status.
pub trait Acknowledgement {}
impl<R> Acknowledgement for Durable<R> {}
impl<R> Acknowledgement for (StatusCode, Durable<R>) {}

/// A handler whose answer is an [`Acknowledgement`] or a problem. The writing verbs
/// ([`Route::post`], `put`, `patch`, `delete`) take only these, so a write handler
/// that answers before its write is on disk does not compile. `T` is axum's own
/// description of the handler's arguments (see `axum::handler::Handler`).
///
/// A handler that acknowledges through the store is a route:
///
/// ```no_run
/// use axum::{Json, extract::State};
/// use waymark::api::{AppState, permission::Permission, problem::Problem, route::Route};
/// use waymark::store::Durable;
///
/// async fn flushed(State(state): State<AppState>) -> Result<Durable<Json<u8>>, Problem> {
///     Ok(state.store.commit(Json(1)).await?)
/// }
/// let _ = Route::post("/v1/example", Permission::AnyKey, flushed);
/// ```
///
/// One that answers without a flush is not:
///
/// ```compile_fail
/// use axum::{Json, extract::State};
/// use waymark::api::{AppState, permission::Permission, problem::Problem, route::Route};
///
/// async fn unflushed(State(_state): State<AppState>) -> Result<Json<u8>, Problem> {
///     Ok(Json(1))
/// }
/// let _ = Route::post("/v1/example", Permission::AnyKey, unflushed);
/// ```
pub trait Acknowledges<T> {}

macro_rules! acknowledges {
    () => {
        impl<F, Fut, A> Acknowledges<((),)> for F
        where
            F: FnOnce() -> Fut,
            Fut: Future<Output = Result<A, Problem>>,
            A: Acknowledgement,
        {
        }
    };
    ($($arg:ident),+) => {
        impl<F, Fut, A, M, $($arg,)+> Acknowledges<(M, $($arg,)+)> for F
        where
            F: FnOnce($($arg,)+) -> Fut,
            Fut: Future<Output = Result<A, Problem>>,
            A: Acknowledgement,
        {
        }
    };
}
acknowledges!();
acknowledges!(T1);
acknowledges!(T1, T2);
acknowledges!(T1, T2, T3);
acknowledges!(T1, T2, T3, T4);
acknowledges!(T1, T2, T3, T4, T5);
acknowledges!(T1, T2, T3, T4, T5, T6);

macro_rules! verbs {
    ($($verb:ident => $method:ident),* $(,)?) => {$(
        #[doc = concat!("A `", stringify!($method), "` route that writes: `path` (with `/v1`), who may call it, and its handler, which answers with a durable acknowledgement.")]
        pub fn $verb<H, T>(path: &'static str, permission: Permission, handler: H) -> Route
        where
            H: Handler<T, AppState> + Acknowledges<T>,
            T: 'static,
        {
            Route::new(Method::$method, path, permission, routing::$verb(handler))
        }
    )*};
}

impl Route {
    fn new(
        method: Method,
        path: &'static str,
        permission: Permission,
        handler: MethodRouter<AppState>,
    ) -> Route {
        Route {
            method,
            path,
            permission,
            query: None,
            body: Body::Empty,
            status: 200,
            answer: None,
            manual_clock_only: false,
            handler,
        }
    }

    verbs!(post => POST, put => PUT, patch => PATCH, delete => DELETE);

    /// A `GET` route: `path` (with `/v1`), who may call it, and its handler.
    pub fn get<H, T>(path: &'static str, permission: Permission, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Route::new(Method::GET, path, permission, routing::get(handler))
    }

    /// A `POST` route that writes nothing to the store, so has nothing to
    /// acknowledge: a replay (it only reads the decision log) or a backup (which
    /// writes and syncs its own folder, outside the store).
    pub fn post_without_store_write<H, T>(
        path: &'static str,
        permission: Permission,
        handler: H,
    ) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Route::new(Method::POST, path, permission, routing::post(handler))
    }

    /// The query string's type (one parameter per property).
    pub fn query<Q: JsonSchema>(mut self) -> Route {
        self.query = Some(shape::<Q>);
        self
    }

    /// A JSON request body of type `B`.
    pub fn json<B: JsonSchema>(mut self) -> Route {
        self.body = Body::Json(shape::<B>);
        self
    }

    /// The request body is the council's plugin settings (their schema is the plugin's).
    pub fn plugin_settings(mut self) -> Route {
        self.body = Body::PluginSettings;
        self
    }

    /// The request body is a WebAssembly component of at most `max_bytes`.
    pub fn wasm(mut self, max_bytes: usize) -> Route {
        self.body = Body::Wasm;
        self.handler = self.handler.layer(DefaultBodyLimit::max(max_bytes));
        self
    }

    /// Answers 200 with an `A`.
    pub fn ok<A: JsonSchema>(self) -> Route {
        self.answers::<A>(200)
    }

    /// Answers 201 with the `A` it made.
    pub fn created<A: JsonSchema>(self) -> Route {
        self.answers::<A>(201)
    }

    fn answers<A: JsonSchema>(mut self, status: u16) -> Route {
        self.status = status;
        self.answer = Some(shape::<A>);
        self
    }

    /// Answers 204 with no body.
    pub fn no_content(mut self) -> Route {
        self.status = 204;
        self.answer = None;
        self
    }

    /// Mounted only when the daemon runs under `--manual-clock`.
    pub fn manual_clock_only(mut self) -> Route {
        self.manual_clock_only = true;
        self
    }

    /// The pattern inside the `/v1` router.
    pub(super) fn mounted(&self) -> &'static str {
        self.path.strip_prefix("/v1").unwrap_or(self.path)
    }
}
