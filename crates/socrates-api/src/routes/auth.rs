//! `/api/v1/auth`: registration, login, token refresh, logout, the current account, password
//! change and reset.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use socrates_agents::ServiceContainer;
use socrates_auth::User;
use socrates_auth::{AuthError, TokenPair};
use socrates_domain::{Code, Email, NewPassword, PasswordRule, UserRole, UserStatus};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::{AuthUser, Client, Json, OptionalJson};

/// Registers the auth routes under the scope it is mounted on.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/register").route(web::post().to(register)))
        .service(web::resource("/login").route(web::post().to(login)))
        .service(web::resource("/refresh").route(web::post().to(refresh)))
        .service(web::resource("/logout").route(web::post().to(logout)))
        .service(
            web::resource("/me")
                .route(web::get().to(me))
                .route(web::delete().to(delete_me)),
        )
        .service(web::resource("/me/export").route(web::get().to(export_me)))
        .service(web::resource("/change-password").route(web::post().to(change_password)))
        .service(
            web::resource("/password-reset/request").route(web::post().to(request_password_reset)),
        )
        .service(
            web::resource("/password-reset/confirm").route(web::post().to(confirm_password_reset)),
        );
}

/// A new account: the address and a password that passes the policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// The e-mail address.
    #[schema(value_type = Email)]
    pub email: String,
    /// The password.
    #[schema(value_type = NewPassword)]
    pub password: String,
}

/// Credentials for a login. Any string is read: a malformed address or a password the
/// policy would refuse today is simply not a login (401), like a wrong one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsRequest {
    /// The e-mail address.
    pub email: String,
    /// The password.
    pub password: String,
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The opaque refresh token from login or a previous refresh.
    pub refresh_token: String,
}

/// What to sign out: `all: true`, or the `refresh_token` of one login. Its schema is written
/// by hand ([`LogoutRequest::schema`]) because it says that one of the two must be given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    /// The refresh token to revoke.
    pub refresh_token: Option<String>,
    /// Revoke every refresh token of the account instead.
    #[serde(default)]
    pub all: bool,
}

impl utoipa::PartialSchema for LogoutRequest {
    /// An object of `refresh_token` (a string or `null`) and `all` (a boolean) and nothing
    /// else, with `all: true` or a `refresh_token` string: a body with neither names nothing
    /// to sign out and is refused (`VALIDATION_ERROR`).
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AdditionalProperties, AllOfBuilder, AnyOfBuilder, ObjectBuilder, SchemaType, Type,
        };
        let fields = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "refresh_token",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some("The refresh token to revoke.")),
            )
            .property(
                "all",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("Revoke every refresh token of the account instead.")),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let every_login = ObjectBuilder::new()
            .property(
                "all",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .enum_values(Some([true])),
            )
            .required("all");
        let one_login = ObjectBuilder::new()
            .property(
                "refresh_token",
                ObjectBuilder::new().schema_type(Type::String),
            )
            .required("refresh_token");
        AllOfBuilder::new()
            .description(Some(
                "What to sign out: `all: true` to end every login of the account, or the \
                 `refresh_token` of one login; a body with neither is refused.",
            ))
            .item(fields)
            .item(AnyOfBuilder::new().item(every_login).item(one_login))
            .into()
    }
}

impl ToSchema for LogoutRequest {}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use.
    pub current_password: String,
    /// The new password.
    #[schema(value_type = NewPassword)]
    pub new_password: String,
}

/// The confirmation an account deletion needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// The account's password.
    pub password: String,
}

/// Rows removed from one database by an account deletion.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasedRowsResponse {
    /// Rows deleted.
    pub deleted: u64,
    /// Rows kept without the user's identity (their part of other people's projects, the
    /// audit trail).
    pub anonymised: u64,
}

/// What an account deletion removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDeletionResponse {
    /// A sentence for people.
    pub message: String,
    /// `socrates_auth`.
    pub socrates_auth: ErasedRowsResponse,
    /// `socrates_specs`.
    pub socrates_specs: ErasedRowsResponse,
}

/// A reset request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's e-mail address.
    #[schema(value_type = Email)]
    pub email: String,
}

/// A reset confirmation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmation {
    /// The token from the mailed link.
    pub token: String,
    /// The new password.
    #[schema(value_type = NewPassword)]
    pub new_password: String,
}

/// An account as the API shows it (never the hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    /// The account id.
    pub user_id: String,
    /// The e-mail address.
    pub email: String,
    /// Display name, if any.
    pub name: Option<String>,
    /// Whether the account may log in.
    pub status: UserStatus,
    /// What the account may do.
    pub role: UserRole,
    /// Whether the address was confirmed.
    pub is_verified: bool,
    /// The last login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserResponse {
    fn from(user: &User) -> Self {
        Self {
            user_id: user.id.to_string(),
            email: user.email.clone(),
            name: user.name.clone(),
            status: user.status,
            role: user.role,
            is_verified: user.is_verified,
            last_login_at: user.last_login_at,
            created_at: user.created_at,
        }
    }
}

/// A newly registered account.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredResponse {
    /// The account id.
    pub user_id: String,
    /// The lower-cased e-mail address.
    pub email: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A confirmation for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    /// What happened.
    pub message: String,
}

/// The result of a logout.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutResponse {
    /// How many refresh tokens were revoked.
    pub revoked_tokens: u64,
}

/// Tokens after login or refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The opaque refresh token (single use).
    pub refresh_token: String,
    /// The account id.
    pub user_id: String,
}

impl From<TokenPair> for TokenResponse {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            token_type: "bearer",
            expires_in: pair.expires_in,
            refresh_token: pair.refresh_token,
            user_id: pair.user_id.to_string(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match &error {
            AuthError::WeakPassword(rules) => ApiError::from_error(&error).with_details(json!({
                "failed_rules": rules.iter().map(|rule| json!({
                    "rule": rule,
                    "description": PasswordRule::description(*rule),
                })).collect::<Vec<_>>(),
            })),
            AuthError::Invalid(validation) => match validation.field() {
                Some(field) => ApiError::from_error(&error).with_details(json!({ "field": field })),
                None => ApiError::from_error(&error),
            },
            AuthError::RateLimited {
                retry_after_seconds,
            } => ApiError::from_error(&error).with_retry_after(*retry_after_seconds),
            _ => ApiError::from_error(&error),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegistrationRequest,
    responses(
        (status = 201, description = "Account created", body = RegisteredResponse),
        (status = 400, description = "Invalid e-mail (`INVALID_EMAIL`), weak password (`WEAK_PASSWORD`, failed rules in `details`) or malformed body", body = crate::error::ErrorBody),
        (status = 409, description = "The address is taken (`EMAIL_TAKEN`)", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts (`RATE_LIMITED`, `Retry-After`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn register(
    services: web::Data<ServiceContainer>,
    client: Client,
    body: Json<RegistrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = services
        .auth()
        .register(&body.email, &body.password, &client.0)
        .await?;
    Ok(HttpResponse::Created().json(RegisteredResponse {
        user_id: user.id.to_string(),
        email: user.email,
        created_at: user.created_at,
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = CredentialsRequest,
    responses(
        (status = 200, description = "Tokens", body = TokenResponse),
        (status = 401, description = "Unknown e-mail or wrong password (`INVALID_CREDENTIALS`)", body = crate::error::ErrorBody),
        (status = 403, description = "The account is not active (`ACCOUNT_INACTIVE`)", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts (`RATE_LIMITED`, `Retry-After`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn login(
    services: web::Data<ServiceContainer>,
    client: Client,
    body: Json<CredentialsRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = services
        .auth()
        .login(&body.email, &body.password, &client.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse::from(pair)))
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the presented refresh token is dead", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused token (`TOKEN_INVALID`); reuse revokes the whole login", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn refresh(
    services: web::Data<ServiceContainer>,
    client: Client,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = services
        .auth()
        .refresh(&body.refresh_token, &client.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse::from(pair)))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body(content = LogoutRequest, description = "`refresh_token` to end one login, `all: true` to end every login"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tokens revoked", body = LogoutResponse),
        (status = 401, description = "Missing or invalid access token, the token of an account deleted since (`TOKEN_INVALID`), or a refresh token of someone else", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn logout(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    client: Client,
    OptionalJson(body): OptionalJson<LogoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.unwrap_or_default();
    let revoked = services
        .auth()
        .logout(
            user.user_id,
            body.refresh_token.as_deref(),
            body.all,
            &client.0,
        )
        .await?;
    Ok(HttpResponse::Ok().json(LogoutResponse {
        revoked_tokens: revoked,
    }))
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The current account", body = UserResponse),
        (status = 401, description = "Missing, invalid or expired access token, or the token of an account deleted since (`TOKEN_INVALID`)", body = crate::error::ErrorBody),
        (status = 429, description = "Over the per-user quota (`RATE_LIMITED`, `Retry-After`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn me(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let account = services.auth().me(user.user_id).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&account)))
}

/// Everything one account owns in both databases, table by table. It is sent as it is read
/// from the databases (chunked transfer encoding, no `Content-Length`).
#[derive(Debug, Serialize, ToSchema)]
#[allow(
    dead_code,
    reason = "the schema of a document that is streamed, never built whole"
)]
pub struct PersonalDataExportResponse {
    /// The layout version; it changes when a table's rows change shape.
    pub format_version: u32,
    /// When the export was taken.
    pub exported_at: DateTime<Utc>,
    /// Whose data it is.
    pub user_id: String,
    /// Rows of `socrates_auth` by table (`users`, `audit_logs`, …); password and token hashes
    /// and encrypted keys are never included.
    #[schema(value_type = BTreeMap<String, Vec<Object>>)]
    pub socrates_auth: BTreeMap<String, Vec<serde_json::Value>>,
    /// Rows of `socrates_specs` by table (`projects`, `specifications`, …).
    #[schema(value_type = BTreeMap<String, Vec<Object>>)]
    pub socrates_specs: BTreeMap<String, Vec<serde_json::Value>>,
}

#[utoipa::path(get, path = "/api/v1/auth/me/export", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Everything the account owns in both databases, table by table \
            (`format_version`, `exported_at`, `user_id`, `socrates_auth`, `socrates_specs`); password \
            and token hashes and encrypted keys are left out", body = PersonalDataExportResponse,
            headers(("Content-Disposition" = String, description = "attachment; filename=socrates-export-<user id>.json"))),
        (status = 401, description = "Missing, invalid or expired access token, or the token of an account deleted since (`TOKEN_INVALID`)", body = crate::error::ErrorBody),
        (status = 429, description = "Over the per-user quota (`RATE_LIMITED`, `Retry-After`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn export_me(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let export = services.export_personal_data(user.user_id).await?;
    let file = format!(
        "attachment; filename=socrates-export-{}.json",
        export.user_id()
    );
    // Written as it is read: a page of one table in memory at a time, whatever the size.
    let body = export
        .into_json_chunks()
        .map_ok(web::Bytes::from)
        .inspect_err(|error| tracing::error!(%error, "the personal-data export broke off"));
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header((actix_web::http::header::CONTENT_DISPOSITION, file))
        .streaming(body))
}

#[utoipa::path(delete, path = "/api/v1/auth/me", tag = "auth", request_body = DeleteAccountRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account is gone: its projects and everything under them, its \
            credentials and learning data deleted; its part of other people's projects and the audit \
            trail kept without its identity; its tokens stop working", body = AccountDeletionResponse),
        (status = 401, description = "Wrong password (`INVALID_CREDENTIALS`), an invalid token, or the token of an account deleted since (`TOKEN_INVALID`)", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts (`RATE_LIMITED`, `Retry-After`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn delete_me(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    client: Client,
    body: Json<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let deletion = services
        .delete_account(user.user_id, &body.password, &client.0)
        .await?;
    Ok(HttpResponse::Ok().json(AccountDeletionResponse {
        message: "the account and its data were deleted".to_owned(),
        socrates_auth: ErasedRowsResponse {
            deleted: deletion.socrates_auth.deleted,
            anonymised: deletion.socrates_auth.anonymised,
        },
        socrates_specs: ErasedRowsResponse {
            deleted: deletion.socrates_specs.deleted,
            anonymised: deletion.socrates_specs.anonymised,
        },
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/change-password", tag = "auth", request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Password changed; every session signed out", body = MessageResponse),
        (status = 400, description = "The new password breaks the policy (`WEAK_PASSWORD`)", body = crate::error::ErrorBody),
        (status = 401, description = "Wrong current password (`INVALID_CREDENTIALS`), an invalid token, or the token of an account deleted since (`TOKEN_INVALID`)", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts at the current password, right or wrong: limited like a login, per account and per client address (`RATE_LIMITED`, `Retry-After`); or over the per-user quota of requests", body = crate::error::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before the next attempt"))),
    ))]
pub(crate) async fn change_password(
    services: web::Data<ServiceContainer>,
    user: AuthUser,
    client: Client,
    body: Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    services
        .auth()
        .change_password(
            user.user_id,
            &body.current_password,
            &body.new_password,
            &client.0,
        )
        .await?;
    Ok(HttpResponse::Ok().json(MessageResponse {
        message: "password changed; every session was signed out".to_owned(),
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset/request", tag = "auth", request_body = ResetRequest,
    responses(
        (status = 202, description = "The same answer whether or not the account exists", body = MessageResponse),
        (status = 400, description = "Malformed e-mail address", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn request_password_reset(
    services: web::Data<ServiceContainer>,
    client: Client,
    body: Json<ResetRequest>,
) -> Result<HttpResponse, ApiError> {
    services
        .auth()
        .request_password_reset(&body.email, &client.0)
        .await?;
    Ok(HttpResponse::Accepted().json(MessageResponse {
        message: "if an account exists for this address, a reset link has been sent".to_owned(),
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmation,
    responses(
        (status = 200, description = "Password reset; every session signed out", body = MessageResponse),
        (status = 400, description = "The new password breaks the policy", body = crate::error::ErrorBody),
        (status = 401, description = "Invalid, used or expired reset token (`TOKEN_INVALID`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn confirm_password_reset(
    services: web::Data<ServiceContainer>,
    client: Client,
    body: Json<ResetConfirmation>,
) -> Result<HttpResponse, ApiError> {
    services
        .auth()
        .confirm_password_reset(&body.token, &body.new_password, &client.0)
        .await
        .map_err(|error| match error {
            AuthError::TokenInvalid => ApiError::new(
                Code::TokenInvalid,
                "the reset link is invalid, used or expired",
            ),
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok().json(MessageResponse {
        message: "password reset; every session was signed out".to_owned(),
    }))
}
