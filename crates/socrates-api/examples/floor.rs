//! The floor of per-request cost on this machine: a bare actix-web app that verifies the same
//! HS256 access token the server issues and answers a small static JSON body. Nothing any
//! route of ours does can be cheaper than this, so `cargo xtask bench-overhead` reports our
//! `GET /api/v1/auth/me` as a share of it.
//!
//! `JWT_SECRET` is the server's secret, `SOCRATES_SERVER__PORT` the port to listen on
//! (127.0.0.1), as for the server; `GET /health` answers 200 so the same harness can start it.

#![allow(
    clippy::print_stderr,
    reason = "a benchmark tool says why it cannot start"
)]

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

#[derive(Serialize)]
struct Me<'a> {
    user_id: &'a str,
    email: &'static str,
    status: &'static str,
    role: &'static str,
}

struct Keys {
    decoding: DecodingKey,
    validation: Validation,
}

async fn me(request: HttpRequest, keys: web::Data<Keys>) -> HttpResponse {
    let claims = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| decode::<Claims>(token, &keys.decoding, &keys.validation).ok());
    match claims {
        Some(token) => HttpResponse::Ok().json(Me {
            user_id: &token.claims.sub,
            email: "floor@example.com",
            status: "active",
            role: "user",
        }),
        None => HttpResponse::Unauthorized().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (Ok(secret), Ok(port)) = (
        std::env::var("JWT_SECRET"),
        std::env::var("SOCRATES_SERVER__PORT"),
    ) else {
        eprintln!("floor: set JWT_SECRET and SOCRATES_SERVER__PORT");
        std::process::exit(2);
    };
    let Ok(port) = port.parse::<u16>() else {
        eprintln!("floor: SOCRATES_SERVER__PORT is not a port number");
        std::process::exit(2);
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims = ["sub", "exp"].iter().map(|c| (*c).to_owned()).collect();
    let keys = web::Data::new(Keys {
        decoding: DecodingKey::from_secret(secret.as_bytes()),
        validation,
    });
    HttpServer::new(move || {
        App::new()
            .app_data(keys.clone())
            .route("/api/v1/auth/me", web::get().to(me))
            .route("/health", web::get().to(HttpResponse::Ok))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
