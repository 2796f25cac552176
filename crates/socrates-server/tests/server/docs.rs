//! The OpenAPI description and the embedded docs page.

use serde_json::Value;

use super::support::spawn_app;

#[tokio::test]
async fn the_openapi_description_documents_every_auth_route_and_its_security() {
    let app = spawn_app().await;
    let document: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let routes = [
        ("post", "/api/v1/auth/register", false),
        ("post", "/api/v1/auth/login", false),
        ("post", "/api/v1/auth/refresh", false),
        ("post", "/api/v1/auth/logout", true),
        ("get", "/api/v1/auth/me", true),
        ("post", "/api/v1/auth/change-password", true),
        ("post", "/api/v1/auth/password-reset/request", false),
        ("post", "/api/v1/auth/password-reset/confirm", false),
        ("get", "/health", false),
    ];
    for (method, path, secured) in routes {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert_eq!(
            operation["security"].is_array(),
            secured,
            "{method} {path} security"
        );
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{path} has no success response"
        );
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let error = &document["components"]["schemas"]["ErrorBody"]["properties"];
    for field in ["error", "error_code", "details", "request_id"] {
        assert!(error[field].is_object(), "ErrorBody lacks {field}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui-bundle.js"));
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
    let initializer = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    app.stop().await;
}
