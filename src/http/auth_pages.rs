//! The few pages the sign-in routes answer with themselves (not the dashboard): a sign-in that
//! failed, signing out and signed out, signed in again from an open page, signed in without a
//! role. Written with `view!`, rendered once on the server; they need no script.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use leptos::prelude::*;

/// What a page offers next: a link, or the Sign out button (a form that posts).
#[derive(Clone)]
enum Next {
    Link(&'static str, &'static str),
    SignOut,
}

/// One short page: a title, what happened, and what to do next.
#[component]
fn AuthPage(title: &'static str, said: String, next: Next) -> impl IntoView {
    let next = match next {
        Next::Link(href, label) => view! {
            <p>
                <a href=href>{label}</a>
            </p>
        }
        .into_any(),
        Next::SignOut => view! {
            <form method="post" action="/auth/logout">
                <button type="submit" data-testid="sign-out">
                    "Sign out"
                </button>
            </form>
        }
        .into_any(),
    };
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
                    {next}
                </main>
            </body>
        </html>
    }
}

fn page(status: StatusCode, title: &'static str, said: String, next: Next) -> Response {
    let html = Owner::new().with(|| view! { <AuthPage title said next /> }.to_html());
    (status, Html(html)).into_response()
}

/// A sign-in could not be done: why, and Try again.
pub fn sign_in_failed(status: StatusCode, why: &str) -> Response {
    page(
        status,
        "Sign-in failed",
        why.to_owned(),
        Next::Link("/auth/login", "Try again"),
    )
}

pub fn signed_out() -> Response {
    page(
        StatusCode::OK,
        "Signed out",
        "You are signed out of the AKS dashboard.".into(),
        Next::Link("/auth/login", "Sign in again"),
    )
}

/// `GET /auth/logout`: signing out is a button (a POST), never a link another site could use.
pub fn sign_out_page() -> Response {
    page(
        StatusCode::OK,
        "Sign out",
        "Sign out of the AKS dashboard on this browser?".into(),
        Next::SignOut,
    )
}

/// Signed in, but given no role here (`DEFAULT_ROLE=none`): whom to ask, and Sign out.
pub fn no_role(name: &str, contact: Option<&str>, can_sign_out: bool) -> Response {
    let whom = contact.map_or_else(
        || "the administrators of this dashboard's app registration in Entra ID".to_owned(),
        str::to_owned,
    );
    page(
        StatusCode::FORBIDDEN,
        "No access yet",
        format!(
            "You are signed in as {name}, but have no role in the AKS dashboard. Ask {whom} to \
             give you the Reader, Operator or Admin app role, then sign in again."
        ),
        if can_sign_out {
            Next::SignOut
        } else {
            Next::Link("/", "Try again")
        },
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
        Next::Link("/", "Open the dashboard"),
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
