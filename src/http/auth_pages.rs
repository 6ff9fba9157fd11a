//! The few pages the sign-in routes answer with themselves (not the dashboard): a sign-in that
//! failed, signed out, signed in again from an open page. Written with `view!`, rendered once on
//! the server; they need no script.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use leptos::prelude::*;

/// One short page: a title, what happened, and where to go.
#[component]
fn AuthPage(
    title: &'static str,
    said: String,
    link: (&'static str, &'static str),
) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>{format!("{title} · AKS dashboard")}</title>
            </head>
            <body>
                <main>
                    <h1>{title}</h1>
                    <p data-testid="auth-page-said">{said}</p>
                    <p>
                        <a href=link.0>{link.1}</a>
                    </p>
                </main>
            </body>
        </html>
    }
}

fn page(
    status: StatusCode,
    title: &'static str,
    said: String,
    link: (&'static str, &'static str),
) -> Response {
    let html = Owner::new().with(|| view! { <AuthPage title said link /> }.to_html());
    (status, Html(html)).into_response()
}

/// A sign-in could not be done: why, and Try again.
pub fn sign_in_failed(status: StatusCode, why: &str) -> Response {
    page(
        status,
        "Sign-in failed",
        why.to_owned(),
        ("/auth/login", "Try again"),
    )
}

pub fn signed_out() -> Response {
    page(
        StatusCode::OK,
        "Signed out",
        "You are signed out of the AKS dashboard.".into(),
        ("/auth/login", "Sign in again"),
    )
}

/// Where a sign-in started from an open page (its session had ended) lands: that page carries
/// on; this tab can be closed.
pub fn signed_in_again() -> Response {
    page(
        StatusCode::OK,
        "Signed in",
        "You are signed in again. Go back to the dashboard's tab and try again: what you typed \
         there is still there. This tab can be closed."
            .into(),
        ("/", "Open the dashboard"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn what_a_page_says_is_text_not_markup() {
        let res = sign_in_failed(StatusCode::UNAUTHORIZED, "bad <script>alert(1)</script>");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .expect("body");
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("bad &lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains(r#"href="/auth/login""#), "{html}");
    }
}
