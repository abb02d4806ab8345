//! The OpenAPI 3 description of the JSON API, generated from the handlers' annotations and
//! the wire types, served at `/api/openapi.json`.

use app::wire::*;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use crate::http;

/// The errors any endpoint may answer, all in the shape `{"error": {"code", "message"}}`.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// Malformed JSON, a bad field or a bad id.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Not signed in.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// A cookie-authenticated change from another origin, or registration closed.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such conversation, or not yours.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// Not valid in the conversation's current state.
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// The body is larger than the server accepts.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The body is not sent as JSON.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
    /// Too many requests; `Retry-After` says when to try again.
    #[response(status = 429)]
    RateLimited(ErrorBody),
    /// Storage is unavailable; nothing was changed.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// What `GET /state` answers: the state, or with `since=` a patch from that version.
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum StateAnswer {
    State(ActionResponse),
    Patch(PatchDTO),
}

/// One server-sent event of `/events`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ServerSentEvent {
    /// `snapshot` and `state` carry an ActionResponse, `delta` and `reasoning` a DeltaDTO,
    /// `patch` (with `live=patch`) a PatchDTO, `contexts` (of `/api/events`) a
    /// ContextsChangeDTO.
    #[schema(pattern = "^(snapshot|state|patch|delta|reasoning|contexts)$")]
    event: String,
    /// Send it back as `Last-Event-ID` to resume after this event.
    id: String,
    /// The event's JSON.
    data: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Confab API",
        description = "The server owns all chat state: clients send actions, read state (with ETags) and \
            subscribe to server-sent events. Sign in with /api/auth/login, then send the token as \
            `Authorization: Bearer <token>` (browsers use the HttpOnly session cookie instead)."
    ),
    paths(
        http::accounts::register,
        http::accounts::login,
        http::accounts::logout,
        http::accounts::me,
        http::contexts::list,
        http::contexts::create,
        http::contexts::get,
        http::contexts::update,
        http::contexts::delete,
        http::state::get,
        http::events::stream,
        http::user_events::stream,
        http::actions::send_message,
        http::actions::approve_tools,
        http::actions::deny_tools,
        http::actions::cancel,
        http::actions::retry,
        http::actions::edit_message,
        http::actions::regenerate,
        http::actions::switch_branch,
        http::actions::update_settings,
        http::actions::continue_reply,
        http::messages::page,
        http::models::list,
        http::models::user_settings,
        http::models::put_user_settings,
        http::models::presets,
        http::models::create_preset,
        http::models::update_preset,
        http::models::delete_preset,
        http::legacy::post_message,
        http::legacy::put_message,
        http::info,
        http::transfer::search,
        http::transfer::export,
        http::import::import,
        http::tools::list,
        http::tools::set_policy,
        http::folders::list,
        http::folders::create,
        http::folders::rename,
        http::folders::delete,
        http::shares::create,
        http::shares::list,
        http::shares::revoke,
        http::accounts::change_password,
        http::accounts::sessions,
        http::sso::methods,
        http::sso::start,
        http::sso::callback,
        http::accounts::end_session,
        http::accounts::delete_me,
        http::admin::users,
        http::admin::change_user,
        http::admin::reset_password,
        http::admin::registration,
        http::admin::set_registration,
        http::admin::create_invite,
        http::tokens::list,
        http::tokens::create,
        http::tokens::revoke,
        http::attachments::upload,
        http::attachments::download,
        crate::highlight::endpoint,
        crate::math::endpoint,
    ),
    components(schemas(ErrorBody, ErrorDetail, DeltaDTO, ServerSentEvent, ContextsChangeDTO)),
    modifiers(&Security),
    security(("bearer" = []), ("session_cookie" = [])),
    tags(
        (name = "accounts", description = "Sign up, sign in, sign out; your password, sessions, tokens and account"),
        (name = "admin", description = "Administrators: accounts, registration, invites"),
        (name = "contexts", description = "Conversations"),
        (name = "models", description = "Models, your defaults for new conversations, presets"),
        (name = "actions", description = "What a person does to a conversation; each returns once saved"),
        (name = "shares", description = "Read-only links to a snapshot of a conversation"),
        (name = "attachments", description = "Files sent with messages: uploaded first, then named by send_message"),
        (name = "live", description = "State for polling, and the event stream"),
        (name = "legacy", description = "Deprecated message endpoints for old clients"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::session::COOKIE_NAME))),
        );
    }
}

/// The document as JSON text, built once.
pub fn json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serializes"))
}

#[cfg(test)]
mod tests {
    use app::limits::*;
    use serde_json::Value;

    /// utoipa takes only literals in `#[schema(max_length = ...)]`, so the wire types repeat
    /// the numbers of `app::limits`; this keeps the two the same.
    #[test]
    fn the_documented_limits_are_the_ones_the_server_applies() {
        let doc: Value = serde_json::from_str(super::json()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let keyword = |schema: &str, property: &str, keyword: &str| {
            let value = &schemas[schema]["properties"][property][keyword];
            assert!(!value.is_null(), "{schema}.{property} documents no {keyword}: {:#}", schemas[schema]);
            value.clone()
        };
        let number = |schema: &str, property: &str, name: &str| keyword(schema, property, name).as_u64().unwrap();
        let cases: &[(&str, &str, &str, usize)] = &[
            ("CreateContextRequest", "title", "maxLength", MAX_TITLE_CHARS),
            ("UpdateContextRequest", "title", "maxLength", MAX_TITLE_CHARS),
            ("FolderRequest", "name", "maxLength", MAX_TITLE_CHARS),
            ("SwitchBranchRequest", "branch", "maxLength", MAX_BRANCH_CHARS),
            ("DenyToolsRequest", "reason", "maxLength", MAX_DENY_REASON_CHARS),
            ("ApproveToolsRequest", "tool_call_ids", "maxItems", MAX_TOOL_CALL_IDS),
            ("DenyToolsRequest", "tool_call_ids", "maxItems", MAX_TOOL_CALL_IDS),
            ("CredentialsRequest", "username", "minLength", MIN_USERNAME_CHARS),
            ("CredentialsRequest", "username", "maxLength", MAX_USERNAME_CHARS),
            ("CredentialsRequest", "password", "minLength", MIN_PASSWORD_CHARS),
            ("CredentialsRequest", "password", "maxLength", MAX_PASSWORD_CHARS),
        ];
        for &(schema, property, name, expected) in cases {
            assert_eq!(number(schema, property, name), expected as u64, "{schema}.{property} {name}");
        }
        assert_eq!(keyword("CredentialsRequest", "username", "pattern"), USERNAME_PATTERN);
        let mut action_ids = 0;
        for (schema, body) in schemas.as_object().unwrap() {
            if schema.ends_with("Request") && body["properties"].get("client_action_id").is_some() {
                assert_eq!(
                    number(schema, "client_action_id", "maxLength"),
                    MAX_CLIENT_ACTION_ID_CHARS as u64,
                    "{schema}"
                );
                action_ids += 1;
            }
        }
        assert!(action_ids >= 8, "every action body has a client_action_id ({action_ids} found)");
    }
}
